-- One row per referral with its pathway events as local calendar dates and the RTT clock:
-- where it starts, whether a first-appointment DNA nullified and restarted it (RTT rules),
-- where it stops and why.
-- The first-contact clock stop is the referral's first_seen_at, or failing that the first
-- attended session: sites differ in which of the two they keep up to date.
-- Incremental: a build recomputes only the referrals that loads since the previous build
-- touched (macro referrals_touched_since), so its cost follows the day's rows, not the history.
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['site_code', 'referral_id'],
) }}

-- depends_on: {{ source('raw', 'sessions') }}
with all_referrals as (
    select * from {{ ref('stg_referrals') }}
),

all_sessions as (
    select * from {{ ref('stg_sessions') }}
),

{% if is_incremental() %}
touched as (
    {{ referrals_touched_since(incremental_watermark('inputs_loaded_at')) }}
),

referrals as (
    select all_referrals.*
    from all_referrals
    inner join touched
        on
            all_referrals.site_code = touched.site_code
            and all_referrals.referral_id = touched.referral_id
),

sessions as (
    select all_sessions.*
    from all_sessions
    inner join touched
        on
            all_sessions.site_code = touched.site_code
            and all_sessions.referral_id = touched.referral_id
),
{% else %}
referrals as (
    select * from all_referrals
),

sessions as (
    select * from all_sessions
),
{% endif %}

-- The newest load among a referral's current rows: the watermark of incremental builds.
sessions_loaded as (
    select
        site_code,
        referral_id,
        max(loaded_at) as sessions_loaded_at
    from sessions
    group by site_code, referral_id
),

-- An appointment that took place as booked: attended or not attended without notice. Advance
-- cancellations (by patient or service) are re-bookings, not appointments (RTT rules: a
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
    select
        site_code,
        referral_id,
        status as first_appointment_status,
        appointment_date
    from appointments
    where appointment_order = 1
),

last_appointment as (
    select
        site_code,
        referral_id,
        status as last_appointment_status
    from appointments
    where appointment_order_desc = 1
),

first_attended as (
    select
        site_code,
        referral_id,
        min(appointment_date) as first_attended_date
    from appointments
    where status = 'attended'
    group by site_code, referral_id
),

events as (
    select
        referrals.site_code,
        referrals.referral_id,
        referrals.patient_key,
        referrals.referral_source,
        referrals.referral_reason,
        referrals.cancer_type,
        referrals.neurotoxic_agent,
        referrals.priority,
        referrals.target_service,
        referrals.triage_decision,
        referrals.programme_type,
        referrals.planned_sessions_per_week,
        referrals.planned_weeks,
        referrals.planned_minutes_per_session,
        referrals.discharge_reason,
        first_appointment.appointment_date as first_appointment_date,
        first_appointment.first_appointment_status,
        last_appointment.last_appointment_status,
        cast(referrals.referred_at as date) as referred_date,
        cast(referrals.received_at as date) as received_date,
        cast(referrals.triaged_at as date) as triaged_date,
        cast(referrals.first_offered_at as date) as first_offered_date,
        cast(referrals.discharged_at as date) as discharged_date,
        coalesce(cast(referrals.first_seen_at as date), first_attended.first_attended_date)
            as first_seen_date,
        greatest(
            referrals.loaded_at,
            coalesce(sessions_loaded.sessions_loaded_at, referrals.loaded_at)
        ) as inputs_loaded_at
    from referrals
    left join sessions_loaded
        on
            referrals.site_code = sessions_loaded.site_code
            and referrals.referral_id = sessions_loaded.referral_id
    left join first_attended
        on
            referrals.site_code = first_attended.site_code
            and referrals.referral_id = first_attended.referral_id
    left join first_appointment
        on
            referrals.site_code = first_appointment.site_code
            and referrals.referral_id = first_appointment.referral_id
    left join last_appointment
        on
            referrals.site_code = last_appointment.site_code
            and referrals.referral_id = last_appointment.referral_id
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
),

clock_stops as (
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
        triage_decision,
        programme_type,
        planned_sessions_per_week,
        planned_weeks,
        planned_minutes_per_session,
        discharge_reason,
        referred_date,
        received_date,
        triaged_date,
        first_offered_date,
        first_seen_date,
        discharged_date,
        first_appointment_date,
        first_appointment_status,
        last_appointment_status,
        is_first_appointment_dna,
        rtt_clock_start_date,
        pathway_status,
        clock_stop_date,
        inputs_loaded_at
    from clock_stops
)

select * from final
