-- Grain: site x month seen x priority, where priority 'all' counts both priorities together.
-- Completed pathways are reported in the month their clock stopped, as RTT completed-pathway
-- statistics are: grouping by month received instead would flatter recent months, whose slow
-- referrals are not seen yet. Percentiles interpolate linearly between order statistics
-- (Hyndman and Fan's type 7). The 'all' rows are computed from the referrals themselves, not
-- from the priority rows: a median of medians is a different number.
with latency as (
    select * from {{ ref('fct_referral_latency') }}
    where is_seen
),

seen as (
    select
        *,
        cast({{ dbt.date_trunc('month', 'clock_stop_date') }} as date) as month_seen
    from latency
),

by_priority as (
    select
        site_code,
        month_seen,
        case when grouping(priority) = 1 then 'all' else priority end as priority,
        count(*) as pathways_completed,
        count(case when is_clock_restarted then 1 end) as clocks_restarted,
        percentile_cont(0.5) within group (order by days_rtt_wait) as median_days_rtt_wait,
        percentile_cont(0.9) within group (order by days_rtt_wait) as p90_days_rtt_wait,
        percentile_cont(0.95) within group (order by days_rtt_wait) as p95_days_rtt_wait,
        count(case when is_within_target then 1 end) as pathways_within_target,
        percentile_cont(0.5) within group (order by days_rtt_wait_adjusted_local)
            as median_days_rtt_wait_adjusted_local
    from seen
    group by grouping sets ((site_code, month_seen, priority), (site_code, month_seen))
),

final as (
    select
        site_code,
        month_seen,
        priority,
        pathways_completed,
        clocks_restarted,
        median_days_rtt_wait,
        p90_days_rtt_wait,
        p95_days_rtt_wait,
        pathways_within_target,
        {{ proportion('pathways_within_target', 'pathways_completed') }}
            as prop_seen_within_target,
        median_days_rtt_wait_adjusted_local
    from by_priority
)

select * from final
