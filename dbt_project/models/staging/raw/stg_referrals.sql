-- Current version of each referral (newest delivery wins per site_code, referral_id).
-- Incremental: a build recomputes only the referrals that rows loaded since the previous build
-- touched (new, resent, corrected, or released from quarantine), over every version of them, so
-- a late-arriving older version never displaces a newer one and the cost follows the new rows,
-- not the history. A changed dbt project is rebuilt in full (carepath passes --full-refresh).
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['site_code', 'referral_id'],
) }}

with
{% if is_incremental() %}
-- Both CTEs read the source table itself: a CTE read twice is materialised whole (the entire
-- raw history), where each read of the table skips the row groups it can.
touched as (
    select distinct
        site_code,
        referral_id
    from {{ source('raw', 'referrals') }}
    where {{ after_watermark('_loaded_at', incremental_watermark('loaded_at')) }}
),

candidates as (
    select referrals.*
    from {{ source('raw', 'referrals') }} as referrals
    inner join touched
        on
            referrals.site_code = touched.site_code
            and referrals.referral_id = touched.referral_id
),
{% else %}
candidates as (
    select * from {{ source('raw', 'referrals') }}
),
{% endif %}

versions as (
    {{ newest_delivery('candidates', ['site_code', 'referral_id']) }}
),

final as (
    select
        site_code,
        referral_id,
        patient_key,
        referral_source,
        referral_reason,
        cancer_type,
        neurotoxic_agent,
        priority,
        target_service,
        referred_at,
        received_at,
        triaged_at,
        triage_decision,
        first_offered_at,
        first_seen_at,
        programme_type,
        planned_sessions_per_week,
        planned_weeks,
        planned_minutes_per_session,
        discharged_at,
        discharge_reason,
        _delivery_id as delivery_id,
        _loaded_at as loaded_at
    from versions
)

select * from final
