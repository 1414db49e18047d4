-- Grain: indicator x month x site, plus the network (is_network_total), in long form: demand,
-- capacity, the access wait, the days spent in each pathway stage and first-appointment DNAs.
-- A referral counts in the month its stage ended (the clock stop for the access wait, the
-- triage for the triage stage), as RTT completed-pathway statistics do: by month received, the
-- latest months would hold only the quick referrals, and every chart would end on a false
-- improvement.
with latency as (
    select * from {{ ref('fct_referral_latency') }}
),

pathway as (
    select * from {{ ref('int_referrals_with_rtt_clock') }}
),

referrals as (
    select
        latency.site_code,
        latency.days_referral_to_receipt,
        latency.days_receipt_to_triage,
        latency.days_triage_to_offer,
        latency.days_offer_to_first_seen,
        latency.days_rtt_wait,
        latency.is_seen,
        latency.is_within_target,
        pathway.is_first_appointment_dna,
        latency.received_month,
        cast({{ dbt.date_trunc('month', 'pathway.triaged_date') }} as date) as triaged_month,
        cast({{ dbt.date_trunc('month', 'pathway.first_offered_date') }} as date)
            as first_offered_month,
        cast({{ dbt.date_trunc('month', 'pathway.first_seen_date') }} as date)
            as first_seen_month,
        cast({{ dbt.date_trunc('month', 'latency.clock_stop_date') }} as date) as clock_stop_month,
        case
            when pathway.first_appointment_status in ('attended', 'did_not_attend')
                then cast({{ dbt.date_trunc('month', 'pathway.first_appointment_date') }} as date)
        end as first_appointment_month
    from latency
    inner join pathway
        on
            latency.site_code = pathway.site_code
            and latency.referral_id = pathway.referral_id
),

final as (
    {{ indicator_by_month('referrals', 'referrals_received', 'received_month',
                        value='count(*)') }}
    union all
    {{ indicator_by_month('referrals', 'first_appointments', 'first_seen_month',
                        value='count(*)') }}
    union all
    {{ indicator_by_month('referrals', 'access_wait_median_days', 'clock_stop_month',
                        value='percentile_cont(0.5) within group (order by days_rtt_wait)',
                        denominator='count(*)', where='is_seen') }}
    union all
    {{ indicator_by_month('referrals', 'access_wait_p90_days', 'clock_stop_month',
                        value='percentile_cont(0.9) within group (order by days_rtt_wait)',
                        denominator='count(*)', where='is_seen') }}
    union all
    {{ indicator_by_month('referrals', 'prop_seen_within_target', 'clock_stop_month',
                        numerator='sum(case when is_within_target then 1 else 0 end)',
                        denominator='count(*)', where='is_seen') }}
    union all
    {{ indicator_by_month('referrals', 'stage_referral_to_receipt_median_days', 'received_month',
                        value='percentile_cont(0.5) within group
                               (order by days_referral_to_receipt)',
                        denominator='count(days_referral_to_receipt)',
                        where='days_referral_to_receipt is not null') }}
    union all
    {{ indicator_by_month('referrals', 'stage_receipt_to_triage_median_days', 'triaged_month',
                        value='percentile_cont(0.5) within group
                               (order by days_receipt_to_triage)',
                        denominator='count(days_receipt_to_triage)',
                        where='days_receipt_to_triage is not null') }}
    union all
    {{ indicator_by_month('referrals', 'stage_triage_to_offer_median_days', 'first_offered_month',
                        value='percentile_cont(0.5) within group
                               (order by days_triage_to_offer)',
                        denominator='count(days_triage_to_offer)',
                        where='days_triage_to_offer is not null') }}
    union all
    {{ indicator_by_month('referrals', 'stage_offer_to_first_seen_median_days', 'first_seen_month',
                        value='percentile_cont(0.5) within group
                               (order by days_offer_to_first_seen)',
                        denominator='count(days_offer_to_first_seen)',
                        where='days_offer_to_first_seen is not null') }}
    union all
    {{ indicator_by_month('referrals', 'prop_first_appointment_dna', 'first_appointment_month',
                        numerator='sum(case when is_first_appointment_dna then 1 else 0 end)',
                        denominator='count(*)') }}
)

select * from final
