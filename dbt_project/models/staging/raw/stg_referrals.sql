-- Current version of each referral (newest delivery wins per site_code, referral_id).
with referrals as (
    select * from {{ source('raw', 'referrals') }}
),

versions as (
    {{ newest_delivery('referrals', ['site_code', 'referral_id']) }}
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
        _delivery_id as delivery_id
    from versions
)

select * from final
