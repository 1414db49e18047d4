-- Grain: indicator x month x site, plus the network (is_network_total), in long form: the
-- one indicator waiting_list_month_end, the pathways waiting
-- at each month end (the census on the month's last day; an as-of date inside a month is a
-- snapshot, not a month end, and is left out).
with waiting as (
    select * from {{ ref('fct_waiting_list') }}
),

month_ends as (
    select
        site_code,
        cast({{ dbt.date_trunc('month', 'census_date') }} as date) as census_month
    from waiting
    where census_date = cast({{ dbt.last_day('census_date', 'month') }} as date)
),

final as (
    {{ indicator_by_month('month_ends', 'waiting_list_month_end', 'census_month',
                        value='count(*)') }}
)

select * from final
