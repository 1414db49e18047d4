-- One row per referral x instrument measured: the baseline and 12-week follow-up pair, the
-- change, and whether it reaches the instrument's MCID (metrics spec 3). Day 0 is the first
-- attended rehab session. Values are int_outcome_scores.score: questionnaires sent item by
-- item are scored from their items.
with pathway as (
    select site_code, referral_id, first_seen_date as day_zero
    from {{ ref('int_referral_pathway') }}
    where first_seen_date is not null
),

instruments as (
    select * from {{ ref('instruments') }}
),

measures as (
    select
        o.site_code,
        o.referral_id,
        o.instrument,
        o.measure_id,
        o.assessed_at,
        o.score as value,
        {{ days_between('p.day_zero', 'o.assessed_at') }} as study_day
    from {{ ref('int_outcome_scores') }} as o
    inner join pathway as p
        on o.site_code = p.site_code and o.referral_id = p.referral_id
    where o.score is not null
),

baseline_ranked as (
    -- Latest on or before day 0; otherwise the earliest after it.
    select
        *,
        row_number() over (
            partition by site_code, referral_id, instrument
            order by
                case when study_day <= 0 then 0 else 1 end,
                case when study_day <= 0 then -study_day else study_day end,
                assessed_at,
                measure_id
        ) as pick
    from measures
    where study_day between {{ var('baseline_window_start_day') }}
        and {{ var('baseline_window_end_day') }}
),

followup_ranked as (
    -- Closest to the target day; a tie goes to the earlier measurement.
    select
        *,
        row_number() over (
            partition by site_code, referral_id, instrument
            order by
                abs(study_day - {{ var('followup_target_day') }}),
                study_day,
                assessed_at,
                measure_id
        ) as pick
    from measures
    where study_day between {{ var('followup_window_start_day') }}
        and {{ var('followup_window_end_day') }}
),

pairs as (
    select distinct site_code, referral_id, instrument from measures
),

paired as (
    select
        pr.site_code,
        pr.referral_id,
        pr.instrument,
        b.measure_id as baseline_measure_id,
        b.study_day as baseline_day,
        b.value as baseline_value,
        f.measure_id as followup_measure_id,
        f.study_day as followup_day,
        f.value as followup_value,
        f.value - b.value as change,
        -- Signed so that positive is better whatever the instrument's direction.
        case when i.higher_is_better then 1 else -1 end * (f.value - b.value) as improvement,
        i.mcid
    from pairs as pr
    inner join instruments as i
        on pr.instrument = i.instrument
    left join baseline_ranked as b
        on pr.site_code = b.site_code and pr.referral_id = b.referral_id
        and pr.instrument = b.instrument and b.pick = 1
    left join followup_ranked as f
        on pr.site_code = f.site_code and pr.referral_id = f.referral_id
        and pr.instrument = f.instrument and f.pick = 1
)

select
    site_code,
    referral_id,
    instrument,
    baseline_measure_id,
    baseline_day,
    baseline_value,
    followup_measure_id,
    followup_day,
    followup_value,
    baseline_value is not null and followup_value is not null as has_pair,
    change,
    improvement,
    mcid,
    -- Null without a pair (improvement is null) or without a published MCID.
    improvement >= mcid as is_responder
from paired
