-- One row per referral with its pathway events as local calendar dates (metrics spec 1.2).
-- The first-contact clock stop is the referral's first_seen_at, or failing that the first
-- attended session: sites differ in which of the two they keep up to date.
with referrals as (
    select * from {{ ref('stg_referrals') }}
),

sessions as (
    select * from {{ ref('stg_sessions') }}
),

ordered_sessions as (
    select
        site_code,
        referral_id,
        status,
        scheduled_at,
        row_number() over (
            partition by site_code, referral_id
            order by scheduled_at, session_id
        ) as booking_order
    from sessions
),

first_booking as (
    select site_code, referral_id, status as first_booking_status
    from ordered_sessions
    where booking_order = 1
),

first_attended as (
    select site_code, referral_id, min(scheduled_at) as first_attended_at
    from sessions
    where status = 'attended'
    group by site_code, referral_id
)

select
    r.site_code,
    r.referral_id,
    r.patient_key,
    r.referral_source,
    r.referral_reason,
    r.cancer_type,
    r.neurotoxic_agent,
    r.priority,
    r.target_service,
    r.triage_decision,
    r.programme_type,
    r.planned_sessions_per_week,
    r.planned_weeks,
    r.planned_minutes_per_session,
    r.discharge_reason,
    cast(r.referred_at as date) as referred_date,
    cast(r.received_at as date) as received_date,
    cast(r.triaged_at as date) as triaged_date,
    cast(r.first_offered_at as date) as first_offered_date,
    cast(coalesce(r.first_seen_at, fa.first_attended_at) as date) as first_seen_date,
    cast(r.discharged_at as date) as discharged_date,
    coalesce(fb.first_booking_status = 'did_not_attend', false) as is_first_appointment_dna
from referrals as r
left join first_attended as fa
    on r.site_code = fa.site_code and r.referral_id = fa.referral_id
left join first_booking as fb
    on r.site_code = fb.site_code and r.referral_id = fb.referral_id
