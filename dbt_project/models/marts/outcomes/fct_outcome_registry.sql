-- One row per referral x instrument measured: the baseline and 12-week follow-up pair, the
-- change, and whether it reaches the instrument's MCID. Day 0 is the first attended rehab
-- session. Values are int_outcomes_scored.score: questionnaires sent item by item are scored
-- from their items.
with pathway as (
    select * from {{ ref('int_referrals_with_rtt_clock') }}
    where first_seen_date is not null
),

outcomes as (
    select * from {{ ref('int_outcomes_scored') }}
    where score is not null
),

instruments as (
    select * from {{ ref('instruments') }}
),

measures as (
    select
        outcomes.site_code,
        outcomes.referral_id,
        outcomes.instrument,
        outcomes.measure_id,
        outcomes.assessed_at,
        outcomes.score as score_value,
        {{ days_between('pathway.first_seen_date', 'outcomes.assessed_at') }} as study_day
    from outcomes
    inner join pathway
        on outcomes.site_code = pathway.site_code and outcomes.referral_id = pathway.referral_id
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
    where
        study_day between {{ var('baseline_window_start_day') }}
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
    where
        study_day between {{ var('followup_window_start_day') }}
        and {{ var('followup_window_end_day') }}
),

pairs as (
    select distinct
        site_code,
        referral_id,
        instrument
    from measures
),

paired as (
    select
        pairs.site_code,
        pairs.referral_id,
        pairs.instrument,
        baseline_ranked.measure_id as baseline_measure_id,
        baseline_ranked.study_day as baseline_day,
        baseline_ranked.score_value as baseline_value,
        followup_ranked.measure_id as followup_measure_id,
        followup_ranked.study_day as followup_day,
        followup_ranked.score_value as followup_value,
        instruments.higher_is_better,
        instruments.mcid
    from pairs
    inner join instruments
        on pairs.instrument = instruments.instrument
    left join baseline_ranked
        on
            pairs.site_code = baseline_ranked.site_code
            and pairs.referral_id = baseline_ranked.referral_id
            and pairs.instrument = baseline_ranked.instrument
            and baseline_ranked.pick = 1
    left join followup_ranked
        on
            pairs.site_code = followup_ranked.site_code
            and pairs.referral_id = followup_ranked.referral_id
            and pairs.instrument = followup_ranked.instrument
            and followup_ranked.pick = 1
),

changes as (
    select
        *,
        baseline_value is not null and followup_value is not null as has_pair,
        -- `change` is a keyword, but it is a published column of this mart: keep the name.
        followup_value - baseline_value as change, -- noqa: RF04
        -- Signed so that positive is better whatever the instrument's direction.
        case when higher_is_better then 1 else -1 end * (followup_value - baseline_value)
            as improvement
    from paired
),

final as (
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
        has_pair,
        change,
        improvement,
        mcid,
        -- Null without a pair (improvement is null) or without a published MCID.
        improvement >= mcid as is_responder
    from changes
)

select * from final
