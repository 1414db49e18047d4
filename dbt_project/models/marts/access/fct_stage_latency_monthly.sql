-- Grain: site x month received. How long referrals received in the month spent in each pathway
-- stage, at the median (linear interpolation, Hyndman and Fan's type 7), over the referrals
-- that have completed the stage: where in the pathway patients wait, month by month.
with latency as (
    select * from {{ ref('fct_referral_latency') }}
    where received_month is not null
),

final as (
    select
        site_code,
        received_month,
        count(*) as referrals_received,
        count(days_receipt_to_triage) as referrals_triaged,
        count(days_receipt_to_first_seen) as referrals_seen,
        percentile_cont(0.5) within group (order by days_referral_to_receipt)
            as median_days_referral_to_receipt,
        percentile_cont(0.5) within group (order by days_receipt_to_triage)
            as median_days_receipt_to_triage,
        percentile_cont(0.5) within group (order by days_triage_to_offer)
            as median_days_triage_to_offer,
        percentile_cont(0.5) within group (order by days_offer_to_first_seen)
            as median_days_offer_to_first_seen,
        percentile_cont(0.5) within group (order by days_receipt_to_first_seen)
            as median_days_receipt_to_first_seen
    from latency
    group by site_code, received_month
)

select * from final
