-- Grain: a site and a proportion over the funnel's months (fct_funnel), judged against the
-- other sites alone: their pooled proportion, widened by the between-site variance among them
-- (Spiegelhalter's, with the funnel's own macros). With a handful of sites, one site far out
-- inflates the variance the funnel's limits allow for, and hides itself; judged against the
-- rest, it cannot. A site is worse than the others beyond the 99.8% limit they set, on the
-- worse side for the indicator, and by at least the indicator's meaningful difference (seed
-- qi_indicators): with thousands of sessions, two points apart is significant but not a
-- bottleneck. A site compared with fewer than two others has no row.
with funnel as (
    select * from {{ ref('fct_funnel') }}
),

thresholds as (
    select
        indicator_id,
        meaningful_difference
    from {{ ref('qi_indicators') }}
),

-- Each site (the focus) against the others: their pooled proportion and z-scores.
other_sites as (
    select
        focus.indicator_id,
        focus.site_code as focus_site_code,
        other.numerator,
        other.denominator
    from funnel as focus
    inner join funnel as other
        on
            focus.indicator_id = other.indicator_id
            and focus.site_code != other.site_code
),

others_pooled as (
    select
        indicator_id,
        focus_site_code,
        {{ proportion('sum(numerator)', 'sum(denominator)') }} as others_proportion,
        count(*) as other_sites
    from other_sites
    group by indicator_id, focus_site_code
),

others_z as (
    select
        other_sites.*,
        others_pooled.others_proportion,
        others_pooled.other_sites,
        (
            asin(sqrt({{ proportion('other_sites.numerator', 'other_sites.denominator') }}))
            - asin(sqrt(others_pooled.others_proportion))
        ) * 2 * sqrt(other_sites.denominator) as z_score
    from other_sites
    inner join others_pooled
        on
            other_sites.indicator_id = others_pooled.indicator_id
            and other_sites.focus_site_code = others_pooled.focus_site_code
),

others_bounds as (
    select
        indicator_id,
        focus_site_code,
        percentile_cont(0.1) within group (order by z_score) as z_low,
        percentile_cont(0.9) within group (order by z_score) as z_high
    from others_z
    group by indicator_id, focus_site_code
),

others_dispersion as (
    select
        others_z.indicator_id,
        others_z.focus_site_code,
        max(others_z.others_proportion) as others_proportion,
        max(others_z.other_sites) as other_sites,
        avg({{ winsorised_square('others_z.z_score', 'others_bounds.z_low',
                                 'others_bounds.z_high') }}) as phi,
        {{ as_double('sum(4 * others_z.denominator)') }} as sum_weights,
        {{ as_double('sum(16 * others_z.denominator * others_z.denominator)') }}
            as sum_squared_weights
    from others_z
    inner join others_bounds
        on
            others_z.indicator_id = others_bounds.indicator_id
            and others_z.focus_site_code = others_bounds.focus_site_code
    group by others_z.indicator_id, others_z.focus_site_code
),

others_variance as (
    select
        indicator_id,
        focus_site_code,
        others_proportion,
        {{ between_site_variance('other_sites', 'phi', 'sum_weights',
                                 'sum_squared_weights') }} as tau2
    from others_dispersion
    where other_sites >= 2
),

against_others as (
    select
        funnel.site_code,
        thresholds.meaningful_difference,
        funnel.indicator_id,
        funnel.indicator_label,
        funnel.improvement_direction,
        funnel.period_start,
        funnel.period_end,
        funnel.proportion,
        others_variance.others_proportion,
        (asin(sqrt(funnel.proportion)) - asin(sqrt(others_variance.others_proportion)))
        -- In doubles: Spark divides by a decimal literal such as 1.0 to six places only.
        / sqrt(1 / (4 * {{ as_double('funnel.denominator') }}) + coalesce(others_variance.tau2, 0))
            as z_against_others
    from funnel
    inner join others_variance
        on
            funnel.indicator_id = others_variance.indicator_id
            and funnel.site_code = others_variance.focus_site_code
    left join thresholds on funnel.indicator_id = thresholds.indicator_id
),

final as (
    select
        site_code,
        indicator_id,
        indicator_label,
        improvement_direction,
        period_start,
        period_end,
        proportion,
        others_proportion,
        z_against_others,
        -- 3.090232: the two-sided 99.8% limit.
        coalesce(
            abs(proportion - others_proportion) >= coalesce(meaningful_difference, 0)
            and (
                (improvement_direction = 'increase' and z_against_others < -3.090232)
                or (improvement_direction = 'decrease' and z_against_others > 3.090232)
            ),
            false
        ) as is_worse_than_others
    from against_others
)

select * from final
