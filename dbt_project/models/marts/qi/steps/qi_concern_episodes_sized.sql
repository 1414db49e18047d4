-- Grain: one run of consecutive months an XmR chart (fct_spc_points, a site's, not the
-- network's) flags as special cause of concern, with the size of its departure. Its effect is
-- the run's mean against the median of the chart's other months, in sigmas: the chart's own,
-- from its median moving range (robust to the jumps the run itself makes), but never less than
-- the indicator's meaningful difference (seed qi_indicators), nor, for a proportion, than the
-- binomial error of the run's months (a month of few patients says little). Its score pools
-- the evidence over the months it spans, the effect times the square root of its months: one
-- odd month weighs less than a season.
with points as (
    select * from {{ ref('fct_spc_points') }}
    where not is_network_total
),

thresholds as (
    select
        indicator_id,
        meaningful_difference
    from {{ ref('qi_indicators') }}
),

-- Months are numbered as months, not as points: a month without a value (a gap) keeps its
-- neighbours apart, so no moving range spans it and no run of concern points bridges it.
numbered as (
    select
        *,
        {{ dbt.datediff("cast('2000-01-01' as date)", 'indicator_month', 'month') }}
            as point_number,
        case
            when
                lag(indicator_month) over series_by_month
                = {{ dbt.dateadd('month', -1, 'indicator_month') }}
                then abs(value - lag(value) over series_by_month)
        end as moving_range
    from points
    window series_by_month as (partition by site_code, indicator_id order by indicator_month)
),

-- sigma = 3.145 / 3 x the median moving range (Wheeler's median-range limits).
chart_spread as (
    select
        site_code,
        indicator_id,
        percentile_cont(0.5) within group (order by moving_range) * 3.145 / 3 as sigma
    from numbered
    group by site_code, indicator_id
),

chart_baseline as (
    select
        site_code,
        indicator_id,
        percentile_cont(0.5) within group (order by value) as baseline_value
    from numbered
    where variation != 'special_cause_concern'
    group by site_code, indicator_id
),

concern_points as (
    select
        *,
        -- Consecutive concern points share this key (gaps and islands).
        point_number - row_number() over (
            partition by site_code, indicator_id order by indicator_month
        ) as run_key
    from numbered
    where variation = 'special_cause_concern'
),

episodes as (
    select
        site_code,
        indicator_id,
        indicator_label,
        indicator_unit,
        run_key,
        min(indicator_month) as period_start,
        max(indicator_month) as period_end,
        count(*) as months_flagged,
        avg(value) as finding_value,
        avg(denominator) as mean_denominator
    from concern_points
    group by site_code, indicator_id, indicator_label, indicator_unit, run_key
),

episode_sigmas as (
    select
        episodes.*,
        chart_baseline.baseline_value,
        greatest(
            coalesce(chart_spread.sigma, 0),
            coalesce(thresholds.meaningful_difference, 0),
            case
                when episodes.indicator_unit = 'proportion'
                    then coalesce(sqrt(
                        chart_baseline.baseline_value * (1 - chart_baseline.baseline_value)
                        / nullif(episodes.mean_denominator, 0)
                    ), 0)
                else 0
            end
        ) as sigma
    from episodes
    inner join chart_spread
        on
            episodes.site_code = chart_spread.site_code
            and episodes.indicator_id = chart_spread.indicator_id
    inner join chart_baseline
        on
            episodes.site_code = chart_baseline.site_code
            and episodes.indicator_id = chart_baseline.indicator_id
    left join thresholds on episodes.indicator_id = thresholds.indicator_id
),

final as (
    select
        site_code,
        indicator_id,
        indicator_label,
        indicator_unit,
        period_start,
        period_end,
        months_flagged,
        finding_value,
        baseline_value,
        sigma,
        abs(finding_value - baseline_value) / nullif(sigma, 0) as effect_size,
        abs(finding_value - baseline_value) / nullif(sigma, 0) * sqrt(months_flagged) as score
    from episode_sigmas
)

select * from final
