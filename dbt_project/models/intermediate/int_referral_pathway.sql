-- One row per referral with its pathway events as local calendar dates (metrics spec 1.2) and
-- the RTT clock (spec 1.1): where it starts, whether a first-appointment DNA nullified and
-- restarted it, where it stops and why.
-- The first-contact clock stop is the referral's first_seen_at, or failing that the first
-- attended session: sites differ in which of the two they keep up to date.
with referrals as (
    select * from {{ ref('stg_referrals') }}
),

sessions as (
    select * from {{ ref('stg_sessions') }}
),

-- An appointment that took place as booked: attended or not attended without notice. Advance
-- cancellations (by patient or service) are re-bookings, not appointments (spec 1.1: a
-- cancellation made in advance is not a DNA).
appointments as (
    select
        site_code,
        referral_id,
        status,
        cast(scheduled_at as date) as appointment_date,
        row_number() over (
            partition by site_code, referral_id order by scheduled_at, session_id
        ) as appointment_order,
        row_number() over (
            partition by site_code, referral_id order by scheduled_at desc, session_id desc
        ) as appointment_order_desc
    from sessions
    where status in ('attended', 'did_not_attend')
),

first_appointment as (
    select site_code, referral_id, status as first_appointment_status, appointment_date
    from appointments
    where appointment_order = 1
),

last_appointment as (
    select site_code, referral_id, status as last_appointment_status
    from appointments
    where appointment_order_desc = 1
),

first_attended as (
    select site_code, referral_id, min(appointment_date) as first_attended_date
    from appointments
    where status = 'attended'
    group by site_code, referral_id
),

events as (
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
        coalesce(cast(r.first_seen_at as date), fa.first_attended_date) as first_seen_date,
        cast(r.discharged_at as date) as discharged_date,
        fb.appointment_date as first_appointment_date,
        fb.first_appointment_status,
        la.last_appointment_status
    from referrals as r
    left join first_attended as fa
        on r.site_code = fa.site_code and r.referral_id = fa.referral_id
    left join first_appointment as fb
        on r.site_code = fb.site_code and r.referral_id = fb.referral_id
    left join last_appointment as la
        on r.site_code = la.site_code and r.referral_id = la.referral_id
),

clock as (
    select
        *,
        -- Only an appointment between receipt and the first contact can be the first
        -- appointment: a site that sends no assessment sessions still records first_seen_at.
        coalesce(
            first_appointment_status = 'did_not_attend'
            and first_appointment_date >= received_date
            and (first_seen_date is null or first_appointment_date <= first_seen_date),
            false
        ) as is_first_appointment_dna
    from events
)

select
    *,
    -- A DNA at the first appointment nullifies the clock; a new one starts when the patient
    -- re-engages. Extracts carry no re-booking date, so the new clock starts on the missed
    -- appointment's date, the earliest day the patient could have re-engaged.
    case
        when is_first_appointment_dna then first_appointment_date else received_date
    end as rtt_clock_start_date,
    case
        when first_seen_date is not null then 'seen'
        when triage_decision in ('declined', 'redirected') then triage_decision
        when discharged_date is not null and last_appointment_status = 'did_not_attend'
            then 'discharged_dna'
        when discharged_date is not null then 'discharged_unseen'
        when received_date is not null then 'waiting'
        else 'not_received'
    end as pathway_status,
    case
        when first_seen_date is not null then first_seen_date
        when triage_decision in ('declined', 'redirected') then triaged_date
        else discharged_date
    end as clock_stop_date
from clock
