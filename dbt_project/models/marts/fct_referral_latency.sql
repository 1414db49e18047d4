-- One row per referral: whole calendar days spent in each pathway stage (metrics spec 1.2) and
-- the access wait on the RTT clock (spec 1.1) against the priority's target.
with pathway as (
    select * from {{ ref('int_referral_pathway') }}
),

delays as (
    select * from {{ ref('int_access_delays') }}
),

stages as (
    select
        p.site_code,
        p.referral_id,
        p.priority,
        p.referral_reason,
        p.target_service,
        cast({{ dbt.date_trunc('month', 'p.received_date') }} as date) as received_month,
        {{ days_between('p.referred_date', 'p.received_date') }} as days_referral_to_receipt,
        {{ days_between('p.received_date', 'p.triaged_date') }} as days_receipt_to_triage,
        {{ days_between('p.triaged_date', 'p.first_offered_date') }} as days_triage_to_offer,
        {{ days_between('p.first_offered_date', 'p.first_seen_date') }} as days_offer_to_first_seen,
        {{ days_between('p.received_date', 'p.first_seen_date') }} as days_receipt_to_first_seen,
        {{ days_between('p.referred_date', 'p.first_seen_date') }} as days_referral_to_first_seen,
        p.first_seen_date is not null as is_seen,
        p.pathway_status,
        p.clock_stop_date,
        p.is_first_appointment_dna as is_clock_restarted,
        p.rtt_clock_start_date,
        {{ days_between('p.rtt_clock_start_date', 'p.first_seen_date') }} as days_rtt_wait,
        coalesce(d.patient_cancellations_while_waiting, 0) as patient_cancellations_while_waiting,
        coalesce(d.patient_initiated_delay_days, 0) as patient_initiated_delay_days,
        coalesce(d.service_cancellations_while_waiting, 0) as service_cancellations_while_waiting,
        {{ access_target_days('p.priority') }} as target_days
    from pathway as p
    left join delays as d
        on p.site_code = d.site_code and p.referral_id = d.referral_id
)

select
    site_code,
    referral_id,
    priority,
    referral_reason,
    target_service,
    received_month,
    days_referral_to_receipt,
    days_receipt_to_triage,
    days_triage_to_offer,
    days_offer_to_first_seen,
    days_receipt_to_first_seen,
    days_referral_to_first_seen,
    is_seen,
    pathway_status,
    clock_stop_date,
    is_clock_restarted,
    rtt_clock_start_date,
    days_rtt_wait,
    patient_cancellations_while_waiting,
    patient_initiated_delay_days,
    -- Local only: RTT rules give patient-chosen delays no effect on the clock (spec 1.2, rule 2).
    days_rtt_wait - patient_initiated_delay_days as days_rtt_wait_adjusted_local,
    service_cancellations_while_waiting,
    target_days,
    case when days_rtt_wait is null then null else days_rtt_wait <= target_days end
        as is_within_target
from stages
