-- Grain: indicator x month x site, and the network (is_network_total, site_code null): every
-- monthly indicator the SPC charts and funnel plots judge, with its label, unit, improvement
-- direction and target (seed qi_indicators), in the months a chart can judge fairly. Those start
-- var spc_warm_up_months after the site's first referral (the first months of an extract see
-- only the pathways that finished quickly) and end at the last whole month by the as-of date
-- (a part month would show fewer referrals, not less demand). Every month of that window has a
-- row for every indicator: a count with no events is 0 (a month of no demand is what a chart
-- must show), a proportion or median with no events has no value (a gap: no point, and no
-- moving range across it).
with access as (
    select * from {{ ref('qi_access_indicators_aggregated_to_months') }}
),

adherence as (
    select * from {{ ref('qi_adherence_indicators_aggregated_to_months') }}
),

outcomes as (
    select * from {{ ref('qi_outcome_indicators_aggregated_to_months') }}
),

waiting_list as (
    select * from {{ ref('qi_waiting_list_indicators_aggregated_to_months') }}
),

indicators as (
    select * from {{ ref('qi_indicators') }}
),

latency as (
    select * from {{ ref('fct_referral_latency') }}
),

census as (
    select * from {{ ref('int_census_dates_generated') }}
),

-- Every whole month from the first referral received to the as-of date: the month ends of the
-- census, and the as-of date's month when it is itself a month end.
whole_months as (
    select distinct cast({{ dbt.date_trunc('month', 'census_date') }} as date) as indicator_month
    from census
    where census_date = cast({{ dbt.last_day('census_date', 'month') }} as date)
),

monthly as (
    select * from access
    union all
    select * from adherence
    union all
    select * from outcomes
    union all
    select * from waiting_list
),

first_months as (
    select
        site_code,
        grouping(site_code) = 1 as is_network_total,
        min(received_month) as first_month
    from latency
    group by grouping sets ((site_code), ())
),

-- The months each site (and the network) is judged in, for every indicator.
grid as (
    select
        first_months.site_code,
        first_months.is_network_total,
        indicators.indicator_id,
        indicators.indicator_unit,
        whole_months.indicator_month
    from first_months
    cross join indicators
    cross join whole_months
    where
        whole_months.indicator_month
        >= {{ dbt.dateadd('month', var('spc_warm_up_months'), 'first_months.first_month') }}
),

judged as (
    select
        grid.site_code,
        grid.is_network_total,
        grid.indicator_id,
        grid.indicator_month,
        case
            when grid.indicator_unit = 'proportion' then coalesce(monthly.numerator, 0)
            else monthly.numerator
        end as numerator,
        case
            when grid.indicator_unit = 'count' then monthly.denominator
            else coalesce(monthly.denominator, 0)
        end as denominator,
        -- "value" is the column every QI mart reads, keyword or not.
        case
            when grid.indicator_unit = 'count' then coalesce(monthly.value, 0)
            else monthly.value
        end as value  -- noqa: RF04
    from grid
    left join monthly
        on
            grid.is_network_total = monthly.is_network_total
            and grid.site_code is not distinct from monthly.site_code
            and grid.indicator_id = monthly.indicator_id
            and grid.indicator_month = monthly.indicator_month
),

final as (
    select
        judged.site_code,
        judged.is_network_total,
        judged.indicator_id,
        indicators.indicator_label,
        indicators.indicator_unit,
        indicators.improvement_direction,
        indicators.target_value,
        judged.indicator_month,
        judged.numerator,
        judged.denominator,
        judged.value
    from judged
    inner join indicators on judged.indicator_id = indicators.indicator_id
)

select * from final
