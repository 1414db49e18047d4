-- Grain: census date x site x priority x weekly wait band, with rows for every priority
-- (is_all_priorities, priority null) and for the whole network (is_network_total, site_code
-- null), made from the same waiting pathways by grouping sets, never by adding rows up. The
-- incomplete pathways at each month-end census counted by whole weeks waited, as the RTT
-- waiting list is reported; waits of wait_band_cap_weeks and more share the last band.
with waiting as (
    select * from {{ ref('fct_waiting_list') }}
),

banded as (
    select
        census_date,
        is_as_of_date,
        site_code,
        priority,
        least(weeks_waiting, {{ var('wait_band_cap_weeks') }}) as wait_band_weeks
    from waiting
),

counted as (
    select
        census_date,
        is_as_of_date,
        site_code,
        priority,
        wait_band_weeks,
        grouping(site_code) = 1 as is_network_total,
        grouping(priority) = 1 as is_all_priorities,
        count(*) as pathways_waiting
    from banded
    group by grouping sets (
        (census_date, is_as_of_date, site_code, priority, wait_band_weeks),
        (census_date, is_as_of_date, site_code, wait_band_weeks),
        (census_date, is_as_of_date, priority, wait_band_weeks),
        (census_date, is_as_of_date, wait_band_weeks)
    )
),

final as (
    select
        census_date,
        is_as_of_date,
        site_code,
        is_network_total,
        priority,
        is_all_priorities,
        wait_band_weeks,
        case
            when wait_band_weeks >= {{ var('wait_band_cap_weeks') }}
                then {{ dbt.concat([
                    "cast(wait_band_weeks as " ~ dbt.type_string() ~ ")", "'+ weeks'"]) }}
            else {{ dbt.concat([
                "cast(wait_band_weeks as " ~ dbt.type_string() ~ ")", "'-'",
                "cast(wait_band_weeks + 1 as " ~ dbt.type_string() ~ ")", "' weeks'"]) }}
        end as wait_band,
        pathways_waiting
    from counted
)

select * from final
