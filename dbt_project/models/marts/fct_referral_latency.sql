-- One row per referral: whole calendar days spent in each pathway stage (metrics spec 1.2) and
-- whether the access wait (receipt to first seen, the RTT-like clock) met its priority target.
with pathway as (
    select * from {{ ref('int_referral_pathway') }}
),

stages as (
    select
        site_code,
        referral_id,
        priority,
        referral_reason,
        target_service,
        cast({{ dbt.date_trunc('month', 'received_date') }} as date) as received_month,
        {{ days_between('referred_date', 'received_date') }} as days_referral_to_receipt,
        {{ days_between('received_date', 'triaged_date') }} as days_receipt_to_triage,
        {{ days_between('triaged_date', 'first_offered_date') }} as days_triage_to_offer,
        {{ days_between('first_offered_date', 'first_seen_date') }} as days_offer_to_first_seen,
        {{ days_between('received_date', 'first_seen_date') }} as days_receipt_to_first_seen,
        {{ days_between('referred_date', 'first_seen_date') }} as days_referral_to_first_seen,
        first_seen_date is not null as is_seen,
        is_first_appointment_dna,
        case priority
            when 'urgent' then {{ var('target_days_urgent') }}
            else {{ var('target_days_routine') }}
        end as target_days
    from pathway
)

select
    *,
    case
        when days_receipt_to_first_seen is null then null
        else days_receipt_to_first_seen <= target_days
    end as is_within_target
from stages
