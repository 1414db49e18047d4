-- Grain: census date x site x priority. The incomplete-pathway figures reported at each month
-- end: pathways waiting, the proportion within the priority's target and within the national
-- 18-week standard for incomplete pathways, and how long the wait is at the middle, the 90th
-- percentile and the longest.
with waiting as (
    select * from {{ ref('fct_waiting_list') }}
),

by_census as (
    select
        census_date,
        is_as_of_date,
        site_code,
        priority,
        count(*) as pathways_waiting,
        count(case when is_within_target then 1 end) as pathways_within_target,
        count(case when is_within_rtt_standard then 1 end) as pathways_within_rtt_standard,
        percentile_cont(0.5) within group (order by days_waiting) as median_days_waiting,
        percentile_cont(0.9) within group (order by days_waiting) as p90_days_waiting,
        max(days_waiting) as max_days_waiting
    from waiting
    group by census_date, is_as_of_date, site_code, priority
),

final as (
    select
        census_date,
        is_as_of_date,
        site_code,
        priority,
        pathways_waiting,
        pathways_within_target,
        {{ proportion('pathways_within_target', 'pathways_waiting') }}
            as prop_waiting_within_target,
        pathways_within_rtt_standard,
        {{ proportion('pathways_within_rtt_standard', 'pathways_waiting') }}
            as prop_waiting_within_rtt_standard,
        median_days_waiting,
        p90_days_waiting,
        max_days_waiting
    from by_census
)

select * from final
