-- Grain: proportion indicator x site: the funnel plot comparing sites over the latest
-- var funnel_months (12) judged months of each indicator (Spiegelhalter, Stat Med 2005;24:1185).
-- The target is the network's own proportion over those months. Limits at 95% (alert) and
-- 99.8% (alarm) use Wilson's score interval, as Public Health England draws proportions; the
-- z of each to the six decimals FunnelPlotR uses. Sites differ for reasons no funnel models
-- (case mix, coding), so the limits are also widened by the between-site variance
-- (Spiegelhalter's additive overdispersion, QSHC 2005;14:347, as FunnelPlotR computes it:
-- z-scores on the arcsine-square-root scale winsorised at their 10th and 90th percentiles).
-- A site is an outlier only outside the adjusted 99.8% limits; a point on a limit is not.
-- carepath.qi.funnel computes the same (a test compares them).
with indicators as (
    select * from {{ ref('fct_monthly_indicators') }}
    where indicator_unit = 'proportion' and not is_network_total
),

-- The period ends at the indicator's latest month with a value: an indicator whose months
-- settle late (a follow-up window still open) has empty months at the end of its grid.
latest_months as (
    select
        indicator_id,
        max(indicator_month) as period_end
    from indicators
    where value is not null
    group by indicator_id
),

in_period as (
    select
        indicators.*,
        latest_months.period_end,
        cast(
            {{ dbt.dateadd('month', '1 - ' ~ var('funnel_months'), 'latest_months.period_end') }}
            as date
        ) as period_start
    from indicators
    inner join latest_months on indicators.indicator_id = latest_months.indicator_id
),

sites as (
    -- Sums are cast to bigint so a count has one type on every engine (DuckDB's sum is a
    -- hugeint); sqlfluff's ST06 takes any cast() for a bare column, hence the noqa.
    select  -- noqa: ST06
        indicator_id,
        indicator_label,
        improvement_direction,
        site_code,
        min(period_start) as period_start,
        min(period_end) as period_end,
        cast(sum(numerator) as bigint) as numerator,
        cast(sum(denominator) as bigint) as denominator
    from in_period
    where indicator_month >= period_start
    group by indicator_id, indicator_label, improvement_direction, site_code
    having sum(denominator) > 0
),

targets as (
    select
        indicator_id,
        {{ proportion('sum(numerator)', 'sum(denominator)') }} as target_proportion,
        count(*) as sites_compared
    from sites
    group by indicator_id
),

z_scores as (
    select
        sites.*,
        targets.target_proportion,
        targets.sites_compared,
        {{ proportion('sites.numerator', 'sites.denominator') }} as proportion,
        (
            asin(sqrt({{ proportion('sites.numerator', 'sites.denominator') }}))
            - asin(sqrt(targets.target_proportion))
        ) * 2 * sqrt(sites.denominator) as z_score
    from sites
    inner join targets on sites.indicator_id = targets.indicator_id
),

winsor_bounds as (
    select
        indicator_id,
        percentile_cont(0.1) within group (order by z_score) as z_low,
        percentile_cont(0.9) within group (order by z_score) as z_high
    from z_scores
    group by indicator_id
),

dispersion as (
    select
        z_scores.indicator_id,
        avg({{ winsorised_square('z_scores.z_score', 'winsor_bounds.z_low',
                                 'winsor_bounds.z_high') }}) as phi,
        -- The weights are 1 / s^2 = 4n (s = 1 / (2 sqrt(n)) on the arcsine scale).
        {{ as_double('sum(4 * z_scores.denominator)') }} as sum_weights,
        {{ as_double('sum(16 * z_scores.denominator * z_scores.denominator)') }}
            as sum_squared_weights,
        count(*) as sites_compared
    from z_scores
    inner join winsor_bounds on z_scores.indicator_id = winsor_bounds.indicator_id
    group by z_scores.indicator_id
),

between_site_variance as (
    select
        indicator_id,
        phi,
        {{ between_site_variance('sites_compared', 'phi', 'sum_weights',
                                 'sum_squared_weights') }} as tau2
    from dispersion
),

limits as (
    select
        z_scores.*,
        between_site_variance.phi,
        coalesce(between_site_variance.tau2, 0) as tau2,
        {{ wilson_limit('z_scores.target_proportion', 'z_scores.denominator', 1.959964, -1) }}
            as lower_95,
        {{ wilson_limit('z_scores.target_proportion', 'z_scores.denominator', 1.959964, 1) }}
            as upper_95,
        {{ wilson_limit('z_scores.target_proportion', 'z_scores.denominator', 3.090232, -1) }}
            as lower_998,
        {{ wilson_limit('z_scores.target_proportion', 'z_scores.denominator', 3.090232, 1) }}
            as upper_998
    from z_scores
    inner join between_site_variance
        on z_scores.indicator_id = between_site_variance.indicator_id
),

adjusted as (
    select
        *,
        {{ overdispersed_limit('target_proportion', 'denominator', 'tau2', 1.959964, -1) }}
            as adjusted_lower_95,
        {{ overdispersed_limit('target_proportion', 'denominator', 'tau2', 1.959964, 1) }}
            as adjusted_upper_95,
        {{ overdispersed_limit('target_proportion', 'denominator', 'tau2', 3.090232, -1) }}
            as adjusted_lower_998,
        {{ overdispersed_limit('target_proportion', 'denominator', 'tau2', 3.090232, 1) }}
            as adjusted_upper_998
    from limits
),

final as (
    select
        indicator_id,
        indicator_label,
        improvement_direction,
        site_code,
        period_start,
        period_end,
        numerator,
        denominator,
        proportion,
        target_proportion,
        sites_compared,
        lower_95,
        upper_95,
        lower_998,
        upper_998,
        z_score,
        phi,
        tau2,
        adjusted_lower_95,
        adjusted_upper_95,
        adjusted_lower_998,
        adjusted_upper_998,
        proportion < adjusted_lower_998 or proportion > adjusted_upper_998 as is_outlier,
        case
            when proportion > adjusted_upper_998 and improvement_direction = 'increase'
                then 'better'
            when proportion < adjusted_lower_998 and improvement_direction = 'decrease'
                then 'better'
            when proportion > adjusted_upper_998 or proportion < adjusted_lower_998
                then case when improvement_direction = 'neutral' then 'different' else 'worse' end
        end as outlier_judgement
    from adjusted
)

select * from final
