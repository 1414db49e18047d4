-- Grain: site x month seen x priority. Completed pathways are reported in the month their
-- clock stopped, as RTT completed-pathway statistics are (metrics spec 1.1): grouping by month
-- received instead would flatter recent months, whose slow referrals are not seen yet.
-- Percentiles interpolate linearly (Hyndman-Fan type 7, metrics spec conventions).
with seen as (
    select
        *,
        cast({{ dbt.date_trunc('month', 'clock_stop_date') }} as date) as month_seen
    from {{ ref('fct_referral_latency') }}
    where is_seen
)

select
    site_code,
    month_seen,
    priority,
    count(*) as pathways_completed,
    sum(case when is_clock_restarted then 1 else 0 end) as clocks_restarted,
    percentile_cont(0.5) within group (order by days_rtt_wait) as median_days_rtt_wait,
    percentile_cont(0.9) within group (order by days_rtt_wait) as p90_days_rtt_wait,
    percentile_cont(0.95) within group (order by days_rtt_wait) as p95_days_rtt_wait,
    sum(case when is_within_target then 1 else 0 end) as pathways_within_target,
    avg(case when is_within_target then 1.0 else 0.0 end) as pct_within_target,
    percentile_cont(0.5) within group (order by days_rtt_wait_adjusted_local)
        as median_days_rtt_wait_adjusted_local
from seen
group by site_code, month_seen, priority
