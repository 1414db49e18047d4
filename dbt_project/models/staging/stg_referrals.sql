-- The newest delivery of each referral wins (business key: site_code, referral_id); older
-- versions stay in raw.referrals for audit.
with versions as (
    select
        *,
        row_number() over (
            partition by site_code, referral_id
            order by _delivery_id desc, _line_number desc
        ) as version_rank
    from {{ source('raw', 'referrals') }}
)

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
where version_rank = 1
