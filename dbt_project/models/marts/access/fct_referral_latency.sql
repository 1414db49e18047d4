-- One row per referral: whole calendar days spent in each pathway stage, the triage against
-- its target in working days, and the access wait on the RTT clock against the target of the
-- referral's priority and service (the access_targets seed).
with pathway as (
    select * from {{ ref('int_referrals_with_rtt_clock') }}
),

delays as (
    select * from {{ ref('int_waiting_cancellations_aggregated_to_referrals') }}
),

stages as (
    select
        pathway.site_code,
        pathway.referral_id,
        pathway.priority,
        pathway.referral_reason,
        pathway.target_service,
        pathway.pathway_status,
        pathway.clock_stop_date,
        pathway.is_first_appointment_dna as is_clock_restarted,
        pathway.rtt_clock_start_date,
        cast({{ dbt.date_trunc('month', 'pathway.received_date') }} as date) as received_month,
        {{ days_between('pathway.referred_date', 'pathway.received_date') }}
            as days_referral_to_receipt,
        {{ days_between('pathway.received_date', 'pathway.triaged_date') }}
            as days_receipt_to_triage,
        cast(
            {{ working_days_between('pathway.received_date', 'pathway.triaged_date') }}
            as {{ dbt.type_bigint() }}
        ) as working_days_receipt_to_triage,
        {{ days_between('pathway.triaged_date', 'pathway.first_offered_date') }}
            as days_triage_to_offer,
        {{ days_between('pathway.first_offered_date', 'pathway.first_seen_date') }}
            as days_offer_to_first_seen,
        {{ days_between('pathway.received_date', 'pathway.first_seen_date') }}
            as days_receipt_to_first_seen,
        {{ days_between('pathway.referred_date', 'pathway.first_seen_date') }}
            as days_referral_to_first_seen,
        pathway.first_seen_date is not null as is_seen,
        {{ days_between('pathway.rtt_clock_start_date', 'pathway.first_seen_date') }}
            as days_rtt_wait,
        coalesce(delays.patient_cancellations_while_waiting, 0)
            as patient_cancellations_while_waiting,
        coalesce(delays.patient_initiated_delay_days, 0) as patient_initiated_delay_days,
        coalesce(delays.service_cancellations_while_waiting, 0)
            as service_cancellations_while_waiting,
        {{ access_target('triage_target_working_days') }} as triage_target_working_days,
        {{ access_target('first_attended_target_days') }} as target_days
    from pathway
    left join delays
        on pathway.site_code = delays.site_code and pathway.referral_id = delays.referral_id
    {{ join_access_targets('pathway') }}
),

waits as (
    select
        *,
        -- Local only: under RTT rules a delay the patient chose does not adjust the clock.
        days_rtt_wait - patient_initiated_delay_days as days_rtt_wait_adjusted_local,
        case when days_rtt_wait is null then null else days_rtt_wait <= target_days end
            as is_within_target,
        case
            when working_days_receipt_to_triage is null then null
            else working_days_receipt_to_triage <= triage_target_working_days
        end as is_triaged_within_target
    from stages
),

final as (
    select
        site_code,
        referral_id,
        priority,
        referral_reason,
        target_service,
        received_month,
        days_referral_to_receipt,
        days_receipt_to_triage,
        working_days_receipt_to_triage,
        triage_target_working_days,
        is_triaged_within_target,
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
        days_rtt_wait_adjusted_local,
        service_cancellations_while_waiting,
        target_days,
        is_within_target
    from waits
)

select * from final
