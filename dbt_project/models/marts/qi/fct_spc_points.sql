-- Grain: one point of an XmR chart: indicator x site (or the network) x month, with the chart's
-- limits and the Making Data Count rules that flag the point. Every series is one phase with
-- its limits from all its points (Making Data Count's default until a service rebases).
-- The rules, as carepath.qi.rules states them (the two must agree; a test compares them):
-- * astronomical: beyond a process limit (mean +/- 2.66 average moving ranges);
-- * shift: var spc_shift_length (7) or more points in a row on one side of the mean, a point
--   on the mean breaking the run; every point of the run is flagged;
-- * trend: var spc_trend_length (7) or more points each strictly above (or below) the one
--   before, a tie breaking it;
-- * two in three: two of three points in a row beyond a 2-sigma line, all three on one side of
--   the mean (the November 2023 reading: beyond the limit counts too); the near points only.
-- A point's side comes from the first rule that flags it, in Making Data Count's order
-- (astronomical, trend, two in three, shift), and with the improvement direction names it.
-- A month without a value (a proportion or median with no events) is a gap: no point, no
-- moving range across it, and no run of any rule through it, so the months either side are
-- never read as adjacent. The points between two gaps form a segment.
with indicators as (
    select * from {{ ref('fct_monthly_indicators') }}
    where value is not null
),

adjacency as (
    select
        *,
        coalesce(
            lag(indicator_month) over series_by_month
            = {{ dbt.dateadd('month', -1, 'indicator_month') }},
            false
        ) as follows_previous_month,
        value - lag(value) over series_by_month as step_from_previous_point
    from indicators
    window series_by_month as (
        partition by is_network_total, site_code, indicator_id order by indicator_month
    )
),

steps as (
    select
        *,
        case when follows_previous_month then step_from_previous_point end as step,
        sum(case when follows_previous_month then 0 else 1 end) over (
            partition by is_network_total, site_code, indicator_id order by indicator_month
            rows between unbounded preceding and current row
        ) as segment
    from adjacency
),

limits as (
    select
        is_network_total,
        site_code,
        indicator_id,
        count(*) as points_in_chart,
        avg(value) as centre,
        avg(abs(step)) as average_moving_range
    from steps
    group by is_network_total, site_code, indicator_id
),

-- 2.66 = 3 / 1.128 (d2 for ranges of two), rounded as Making Data Count rounds it; the 2-sigma
-- lines sit two thirds of the way out.
banded as (
    select
        steps.*,
        limits.points_in_chart,
        limits.centre,
        limits.average_moving_range,
        limits.centre - 2.66 * limits.average_moving_range as lower_limit,
        limits.centre + 2.66 * limits.average_moving_range as upper_limit,
        limits.centre - 2.66 * limits.average_moving_range * 2 / 3 as lower_near,
        limits.centre + 2.66 * limits.average_moving_range * 2 / 3 as upper_near,
        limits.points_in_chart < {{ var('spc_min_points_for_limits') }} as is_trial_limits,
        coalesce(limits.average_moving_range = 0, true) as is_degenerate,
        case
            when steps.value > limits.centre then 1
            when steps.value < limits.centre then -1
            else 0
        end as side,
        case when steps.step > 0 then 1 when steps.step < 0 then -1 else 0 end as step_direction
    from steps
    inner join limits
        on
            steps.is_network_total = limits.is_network_total
            and steps.site_code is not distinct from limits.site_code
            and steps.indicator_id = limits.indicator_id
),

run_starts as (
    select
        *,
        case
            when side = lag(side) over series_by_month then 0 else 1
        end as starts_side_run,
        -- The first point has no step: it starts a run of its own.
        case
            when
                step_direction = lag(step_direction) over series_by_month
                and lag(step) over series_by_month is not null
                then 0
            else 1
        end as starts_step_run,
        case when value > upper_near or value < lower_near then 1 else 0 end as is_near
    from banded
    window series_by_month as (
        partition by is_network_total, site_code, indicator_id, segment
        order by indicator_month
    )
),

run_numbers as (
    select
        *,
        sum(starts_side_run) over runs_so_far as side_run,
        sum(starts_step_run) over runs_so_far as step_run
    from run_starts
    window runs_so_far as (
        partition by is_network_total, site_code, indicator_id order by indicator_month
        rows between unbounded preceding and current row
    )
),

run_lengths as (
    select
        *,
        count(*) over (
            partition by is_network_total, site_code, indicator_id, side_run
        ) as side_run_length,
        -- A run of n steps joins n + 1 points: a trend of 7 points is 6 steps.
        coalesce(
            step is not null
            and step_direction != 0
            and count(*) over (
                partition by is_network_total, site_code, indicator_id, step_run
            ) >= {{ var('spc_trend_length') }} - 1,
            false
        ) as is_trend_step
    from run_numbers
),

windows_of_three as (
    select
        *,
        -- The window of three points that starts here.
        coalesce(
            count(*) over next_three = 3
            and sum(is_near) over next_three >= 2
            and abs(sum(side) over next_three) = 3,
            false
        ) as starts_two_in_three,
        coalesce(lead(is_trend_step) over series_by_month, false) as next_is_trend_step,
        lead(step_direction) over series_by_month as next_step_direction
    from run_lengths
    window
        series_by_month as (
            partition by is_network_total, site_code, indicator_id, segment
            order by indicator_month
        ),
        next_three as (
            partition by is_network_total, site_code, indicator_id, segment
            order by indicator_month
            rows between current row and 2 following
        )
),

flagged as (
    select
        *,
        -- A chart of one point has no limits, and nothing beyond them.
        coalesce(value > upper_limit or value < lower_limit, false) as rule_astronomical,
        -- A point is in a trend if its own step is, or if the trend starts from it.
        is_trend_step or next_is_trend_step as rule_trend,
        -- Where one trend ends and another starts, the later one names the point.
        case
            when next_is_trend_step then next_step_direction
            when is_trend_step then step_direction
            else 0
        end as trend_side,
        is_near = 1 and (
            starts_two_in_three
            or coalesce(lag(starts_two_in_three, 1) over series_by_month, false)
            or coalesce(lag(starts_two_in_three, 2) over series_by_month, false)
        ) as rule_two_of_three,
        side != 0 and side_run_length >= {{ var('spc_shift_length') }} as rule_shift
    from windows_of_three
    window series_by_month as (
        partition by is_network_total, site_code, indicator_id, segment
        order by indicator_month
    )
),

signals as (
    select
        *,
        case
            when is_degenerate then 0
            when rule_astronomical then side
            when rule_trend then trend_side
            when rule_two_of_three then side
            when rule_shift then side
            else 0
        end as signal_side
    from flagged
),

final as (
    select
        site_code,
        is_network_total,
        indicator_id,
        indicator_label,
        indicator_unit,
        improvement_direction,
        target_value,
        indicator_month,
        numerator,
        denominator,
        value,
        centre,
        lower_limit,
        upper_limit,
        lower_near,
        upper_near,
        average_moving_range,
        points_in_chart,
        is_trial_limits,
        is_degenerate,
        rule_astronomical,
        rule_trend,
        rule_two_of_three,
        rule_shift,
        case when signal_side = 1 then 'high' when signal_side = -1 then 'low' end
            as special_cause_side,
        case
            when signal_side = 0 then 'common_cause'
            when improvement_direction = 'neutral' then 'special_cause_neither'
            when
                (signal_side = 1 and improvement_direction = 'increase')
                or (signal_side = -1 and improvement_direction = 'decrease')
                then 'special_cause_improvement'
            else 'special_cause_concern'
        end as variation,
        row_number() over (
            partition by is_network_total, site_code, indicator_id order by indicator_month desc
        ) = 1 as is_latest_point
    from signals
)

select * from final
