-- Grain: referral x instrument measured, for referrals seen: the baseline and 12-week
-- follow-up pair, the change, and whether it reaches the instrument's MCID (the outcome
-- registry, published as fct_outcome_registry). Day 0 is the first attended rehab session.
-- Values are int_outcomes_scored.score: questionnaires sent item by item are scored from their
-- items.
-- Incremental: a build recomputes only the referrals whose pathway (macro
-- referrals_touched_since) or outcome measures (macro outcome_referrals_touched_since)
-- changed since the previous build. A correction may leave a referral no measures, so the
-- touched referrals' rows are deleted first and their new rows appended (macro
-- delete_touched_keys).
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_touched_keys(['site_code', 'referral_id'],
        touched_outcome_registry_referrals(incremental_watermark('inputs_loaded_at'))) }}",
) }}

-- depends_on: {{ ref('stg_referrals') }}
-- depends_on: {{ ref('stg_sessions') }}
-- depends_on: {{ ref('stg_outcomes') }}
-- depends_on: {{ source('raw', 'sessions') }}
-- depends_on: {{ source('raw', 'outcomes') }}
with all_pathway as (
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

{% if is_incremental() %}
touched as (
    {{ touched_outcome_registry_referrals(incremental_watermark('inputs_loaded_at')) }}
),

pathway as (
    select all_pathway.*
    from all_pathway
    inner join touched
        on
            all_pathway.site_code = touched.site_code
            and all_pathway.referral_id = touched.referral_id
),
{% else %}
pathway as (
    select * from all_pathway
),
{% endif %}

measures as (
    select
        outcomes.site_code,
        outcomes.referral_id,
        outcomes.instrument,
        outcomes.measure_id,
        outcomes.assessed_at,
        outcomes.score as score_value,
        {{ days_between('pathway.first_seen_date', 'outcomes.assessed_at') }} as study_day,
        -- When the newest input of the referral's rows arrived: the watermark of the next build.
        greatest(
            pathway.inputs_loaded_at,
            max(outcomes.loaded_at) over (partition by outcomes.site_code, outcomes.referral_id)
        ) as inputs_loaded_at
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
        instrument,
        inputs_loaded_at
    from measures
),

paired as (
    select
        pairs.site_code,
        pairs.referral_id,
        pairs.instrument,
        pairs.inputs_loaded_at,
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
        -- `change` is a keyword, but it is a published column of the registry: keep it.
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
        inputs_loaded_at,
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
