-- Grain: indicator x month x site, and the network (is_network_total, site_code null): every
-- monthly indicator the SPC charts and funnel plots judge, with its label, unit, improvement
-- direction and target (seed qi_indicators), in the months a chart can judge fairly. Those start
-- var spc_warm_up_months after the site's first referral (the first months of an extract see
-- only the pathways that finished quickly) and end at the last whole month by the as-of date
-- (a part month would show fewer referrals, not less demand).
with access as (
    select * from {{ ref('int_access_indicators_aggregated_to_months') }}
),

adherence as (
    select * from {{ ref('int_adherence_indicators_aggregated_to_months') }}
),

outcomes as (
    select * from {{ ref('int_outcome_indicators_aggregated_to_months') }}
),

waiting_list as (
    select * from {{ ref('int_waiting_list_indicators_aggregated_to_months') }}
),

indicators as (
    select * from {{ ref('qi_indicators') }}
),

latency as (
    select * from {{ ref('fct_referral_latency') }}
),

as_of as (
    select census_date as as_of_date from {{ ref('int_census_dates_generated') }}
    where is_as_of_date
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

judged as (
    select monthly.*
    from monthly
    inner join first_months
        on
            monthly.is_network_total = first_months.is_network_total
            and monthly.site_code is not distinct from first_months.site_code
    cross join as_of
    where
        monthly.indicator_month
        >= {{ dbt.dateadd('month', var('spc_warm_up_months'), 'first_months.first_month') }}
        and {{ dbt.last_day('monthly.indicator_month', 'month') }} <= as_of.as_of_date
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
