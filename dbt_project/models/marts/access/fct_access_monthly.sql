-- Grain: site x month completed x priority, where priority 'all' counts both priorities
-- together. A pathway is completed in the month its clock stopped, as RTT completed-pathway
-- statistics are reported: grouping by month received instead would flatter recent months,
-- whose slow referrals are not seen yet. The clock stops when the patient is first seen, or
-- when the patient is discharged unseen: after a missed appointment (the metric spec's
-- "discharge after a subsequent DNA") or otherwise. Those discharges are completed pathways
-- but not seen ones: the waits and the share seen within target are over the seen only.
-- Declines and redirections at triage are referrals the service did not accept, not completed
-- pathways. Percentiles interpolate linearly between order statistics (Hyndman and Fan's type
-- 7). The 'all' rows are computed from the referrals themselves, not from the priority rows: a
-- median of medians is a different number.
with latency as (
    select * from {{ ref('fct_referral_latency') }}
),

completed as (
    select
        *,
        cast({{ dbt.date_trunc('month', 'clock_stop_date') }} as date) as month_completed
    from latency
    where pathway_status in ('seen', 'discharged_dna', 'discharged_unseen')
),

by_priority as (
    select
        site_code,
        month_completed,
        case when grouping(priority) = 1 then 'all' else priority end as priority,
        count(*) as pathways_completed,
        count(case when is_seen then 1 end) as pathways_seen,
        count(case when pathway_status = 'discharged_dna' then 1 end)
            as pathways_discharged_after_dna,
        count(case when pathway_status = 'discharged_unseen' then 1 end)
            as pathways_discharged_unseen,
        count(case when is_seen and is_clock_restarted then 1 end) as clocks_restarted,
        percentile_cont(0.5) within group (order by days_rtt_wait) as median_days_rtt_wait,
        percentile_cont(0.9) within group (order by days_rtt_wait) as p90_days_rtt_wait,
        percentile_cont(0.95) within group (order by days_rtt_wait) as p95_days_rtt_wait,
        count(case when is_within_target then 1 end) as pathways_within_target,
        percentile_cont(0.5) within group (order by days_rtt_wait_adjusted_local)
            as median_days_rtt_wait_adjusted_local
    from completed
    group by grouping sets ((site_code, month_completed, priority), (site_code, month_completed))
),

final as (
    select
        site_code,
        month_completed,
        priority,
        pathways_completed,
        pathways_seen,
        pathways_discharged_after_dna,
        pathways_discharged_unseen,
        clocks_restarted,
        median_days_rtt_wait,
        p90_days_rtt_wait,
        p95_days_rtt_wait,
        pathways_within_target,
        {{ proportion('pathways_within_target', 'pathways_seen') }}
            as prop_seen_within_target,
        median_days_rtt_wait_adjusted_local
    from by_priority
)

select * from final
