-- Grain: census date x site x priority. The incomplete-pathway figures reported at each month
-- end (metrics spec 1.2): pathways waiting, the share within the priority's target and within
-- the RTT standard, and how long the wait is at the middle, the 90th percentile and the longest.
with waiting as (
    select * from {{ ref('fct_waiting_list') }}
)

select
    census_date,
    is_as_of_date,
    site_code,
    priority,
    count(*) as pathways_waiting,
    sum(case when is_within_target then 1 else 0 end) as pathways_within_target,
    avg(case when is_within_target then 1.0 else 0.0 end) as pct_within_target,
    sum(case when is_within_rtt_standard then 1 else 0 end) as pathways_within_rtt_standard,
    avg(case when is_within_rtt_standard then 1.0 else 0.0 end) as pct_within_rtt_standard,
    percentile_cont(0.5) within group (order by days_waiting) as median_days_waiting,
    percentile_cont(0.9) within group (order by days_waiting) as p90_days_waiting,
    max(days_waiting) as max_days_waiting
from waiting
group by census_date, is_as_of_date, site_code, priority
