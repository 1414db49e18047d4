-- Grain: one finding: a site, an indicator and a period in which the site's care broke down,
-- ranked by how far it departs from what the site usually does. Two kinds:
-- * spc_concern: a run of months an XmR chart flags as special cause of concern. Its effect is
--   the run's mean against the median of the chart's other months, in sigmas: the chart's own,
--   from its median moving range (robust to the jumps the run itself makes), but never less
--   than the indicator's meaningful difference (seed qi_indicators), nor, for a proportion,
--   than the binomial error of the run's months (a month of few patients says little).
-- * worse_than_other_sites: a proportion over the funnel's months (fct_funnel) on the worse
--   side of the 99.8% limit set by the other sites: their pooled proportion, widened by the
--   between-site variance among them alone (Spiegelhalter's, as fct_funnel computes it). With
--   a handful of sites, one site far out inflates the variance the funnel's own limits allow
--   for, and hides itself; judged against the rest, it cannot. Its effect is that z-score.
-- Both scores are the evidence pooled over the months it spans: an episode's effect times the
-- square root of its months, as the funnel's z already pools its months. One odd month weighs
-- less than a season. A site worse than the others must also be worse by the indicator's
-- meaningful difference: with thousands of sessions, two points apart is significant but not
-- a bottleneck.
-- A longer access wait (median, 90th percentile, or fewer seen within target) from the months
-- a stage on the RTT clock (receipt to triage, triage to offer, offer to first seen) is flagged
-- at the same site to var bottleneck_consequence_months after them is that stage's
-- consequence, not a bottleneck of its own: it keeps its row, names the stage in
-- explained_by_indicator_id, and is not ranked. (Referral to receipt is before the clock.)
-- The evidence says, in words, what the finding rests on: for a pathway stage, its share of the
-- site's access wait in the same months; for the access wait and the waiting list, demand
-- against capacity.
{#- The stages on the RTT clock (referral to receipt is before it). -#}
{%- set clock_stages = "('stage_receipt_to_triage_median_days', "
    ~ "'stage_triage_to_offer_median_days', 'stage_offer_to_first_seen_median_days')" %}
with points as (
    select * from {{ ref('fct_spc_points') }}
    where not is_network_total
),

funnel as (
    select * from {{ ref('fct_funnel') }}
),

indicators as (
    select * from {{ ref('fct_monthly_indicators') }}
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

sized_episodes as (
    select
        site_code,
        indicator_id,
        indicator_label,
        indicator_unit,
        'spc_concern' as finding_kind,
        period_start,
        period_end,
        months_flagged,
        finding_value,
        baseline_value,
        abs(finding_value - baseline_value) / nullif(sigma, 0) as effect_size,
        abs(finding_value - baseline_value) / nullif(sigma, 0) * sqrt(months_flagged) as score
    from episode_sigmas
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

worse_than_others as (
    select
        site_code,
        indicator_id,
        indicator_label,
        'proportion' as indicator_unit,
        'worse_than_other_sites' as finding_kind,
        period_start,
        period_end,
        cast(null as bigint) as months_flagged,
        proportion as finding_value,
        others_proportion as baseline_value,
        abs(z_against_others) as effect_size,
        abs(z_against_others) as score
    from against_others
    -- 3.090232: the two-sided 99.8% limit.
    where
        abs(proportion - others_proportion) >= coalesce(meaningful_difference, 0)
        and (
            (improvement_direction = 'increase' and z_against_others < -3.090232)
            or (improvement_direction = 'decrease' and z_against_others > 3.090232)
        )
),

findings as (
    select * from sized_episodes
    where score is not null
    union all
    select * from worse_than_others
),

-- The months of each finding, for the context its evidence gives.
finding_months as (
    select
        findings.site_code,
        findings.indicator_id,
        findings.finding_kind,
        findings.period_start,
        avg(case when indicators.indicator_id = 'access_wait_median_days' then indicators.value end)
            as access_wait_median_days,
        avg(case when indicators.indicator_id = findings.indicator_id then indicators.value end)
            as same_indicator_value,
        avg(case when indicators.indicator_id = 'referrals_received' then indicators.value end)
            as referrals_received,
        avg(case when indicators.indicator_id = 'first_appointments' then indicators.value end)
            as first_appointments
    from findings
    inner join indicators
        on
            findings.site_code = indicators.site_code
            and indicators.indicator_month between findings.period_start and findings.period_end
    group by findings.site_code, findings.indicator_id, findings.finding_kind, findings.period_start
),

described as (
    select
        findings.site_code,
        findings.indicator_id,
        findings.indicator_label,
        findings.indicator_unit,
        findings.finding_kind,
        findings.period_start,
        findings.period_end,
        findings.months_flagged,
        findings.finding_value,
        findings.baseline_value,
        findings.effect_size,
        findings.score,
        finding_months.referrals_received,
        finding_months.first_appointments,
        case
            when
                findings.indicator_id in {{ clock_stages }}
                then
                    finding_months.same_indicator_value
                    / nullif(finding_months.access_wait_median_days, 0)
        end as share_of_access_wait
    from findings
    left join finding_months
        on
            findings.site_code = finding_months.site_code
            and findings.indicator_id = finding_months.indicator_id
            and findings.finding_kind = finding_months.finding_kind
            and findings.period_start = finding_months.period_start
),

stage_findings as (
    select * from described
    where
        finding_kind = 'spc_concern'
        and indicator_id in {{ clock_stages }}
),

explanations as (
    select
        consequence.site_code,
        consequence.indicator_id,
        consequence.period_start,
        cause.indicator_id as cause_indicator_id,
        row_number() over (
            partition by consequence.site_code, consequence.indicator_id, consequence.period_start
            order by cause.score desc, cause.indicator_id asc
        ) as cause_rank
    from described as consequence
    inner join stage_findings as cause
        on
            consequence.site_code = cause.site_code
            and consequence.period_end >= cause.period_start
            and consequence.period_start <= {{ dbt.dateadd(
                'month', var('bottleneck_consequence_months'), 'cause.period_end'
            ) }}
    where
        consequence.finding_kind = 'spc_concern'
        and consequence.indicator_id in (
            'access_wait_median_days', 'access_wait_p90_days', 'prop_seen_within_target'
        )
),

explained as (
    select
        described.*,
        explanations.cause_indicator_id as explained_by_indicator_id
    from described
    left join explanations
        on
            described.site_code = explanations.site_code
            and described.indicator_id = explanations.indicator_id
            and described.period_start = explanations.period_start
            and described.finding_kind = 'spc_concern'
            and explanations.cause_rank = 1
),

-- The evidence in words, in pieces: what the site's figure was, what it is judged against,
-- and the context. A site's own users see the comparison without the other sites' figure
-- (evidence_own_site): a pooled figure of the others, with few sites, would be theirs.
worded as (
    select
        *,
        site_code || ' ' || indicator_label || ': '
        || {{ format_indicator_value('finding_value', 'indicator_unit') }}
        || case when finding_kind = 'spc_concern' then ' on average' else ' overall' end
        || ' in ' || {{ format_month('period_start') }}
        || case
            when period_end > period_start then ' to ' || {{ format_month('period_end') }}
            else ''
        end as headline,
        case
            when finding_kind = 'spc_concern'
                then
                    ', against '
                    || {{ format_indicator_value('baseline_value', 'indicator_unit') }}
                    || ' in its other months; special cause of concern since '
                    || {{ format_month('period_start') }}
            else
                ', against '
                || {{ format_indicator_value('baseline_value', 'indicator_unit') }}
                || ' at the other sites; beyond the 99.8% limit they set'
        end as comparison,
        case
            when share_of_access_wait is not null
                then
                    '; '
                    || cast(
                        cast(100 * share_of_access_wait as decimal(18, 0))
                        as {{ dbt.type_string() }}
                    )
                    || '% of its access wait'
            else ''
        end
        || case
            when
                indicator_id in (
                    'waiting_list_month_end', 'access_wait_median_days',
                    'stage_offer_to_first_seen_median_days'
                )
                and referrals_received is not null
                then
                    '; demand '
                    || {{ format_indicator_value('referrals_received', "'count'") }}
                    || ' a month against '
                    || {{ format_indicator_value('coalesce(first_appointments, 0)', "'count'") }}
                    || ' first appointments'
            else ''
        end as context
    from explained
),

final as (
    select
        site_code,
        indicator_id,
        indicator_label,
        finding_kind,
        period_start,
        period_end,
        months_flagged,
        finding_value,
        baseline_value,
        effect_size,
        score,
        explained_by_indicator_id,
        share_of_access_wait,
        referrals_received,
        first_appointments,
        headline || comparison || context as evidence,
        headline
        || case
            when finding_kind = 'spc_concern' then comparison
            else '; beyond the 99.8% limit the other sites set'
        end
        || context as evidence_own_site,
        case
            when explained_by_indicator_id is null
                then row_number() over (
                    partition by site_code, explained_by_indicator_id is null
                    order by score desc, indicator_id asc, period_start asc
                )
        end as rank_in_site,
        case
            when explained_by_indicator_id is null
                then row_number() over (
                    partition by explained_by_indicator_id is null
                    order by score desc, site_code asc, indicator_id asc, period_start asc
                )
        end as rank_overall
    from worded
)

select * from final
