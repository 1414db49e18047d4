-- Grain: one XmR chart: indicator x site (or the network). The chart's latest point with Making
-- Data Count's two icons: variation (what the latest point says: common cause, or a special
-- cause of improvement, concern or neither, high or low) and assurance (whether the process,
-- as its limits describe it, will meet the target: consistently passing when the whole band
-- between the limits is on the good side of it, consistently failing when the whole band is on
-- the bad side, hit and miss when the target lies inside it; none without a target).
with points as (
    select * from {{ ref('fct_spc_points') }}
),

latest as (
    select * from points
    where is_latest_point
),

first_months as (
    select
        is_network_total,
        site_code,
        indicator_id,
        min(indicator_month) as first_month
    from points
    group by is_network_total, site_code, indicator_id
),

final as (
    select
        latest.site_code,
        latest.is_network_total,
        latest.indicator_id,
        latest.indicator_label,
        latest.indicator_unit,
        latest.improvement_direction,
        latest.target_value,
        first_months.first_month,
        latest.indicator_month as latest_month,
        latest.points_in_chart,
        latest.value as latest_value,
        latest.numerator as latest_numerator,
        latest.denominator as latest_denominator,
        latest.centre,
        latest.lower_limit,
        latest.upper_limit,
        latest.is_trial_limits,
        latest.variation as latest_variation,
        case latest.variation
            when 'common_cause' then 'common_cause'
            when 'special_cause_neither' then 'neither_' || latest.special_cause_side
            when 'special_cause_improvement' then 'improvement_' || latest.special_cause_side
            when 'special_cause_concern' then 'concern_' || latest.special_cause_side
        end as variation_icon,
        case
            -- A chart of one point has no limits to judge a target by.
            when
                latest.target_value is null
                or latest.improvement_direction = 'neutral'
                or latest.lower_limit is null
                then null
            -- Read on the good side: for an indicator that should fall, the upper limit is the
            -- worst the process does and the lower limit the best.
            when latest.improvement_direction = 'increase'
                then case
                    when latest.lower_limit > latest.target_value then 'consistently_passing'
                    when latest.upper_limit < latest.target_value then 'consistently_failing'
                    else 'hit_and_miss'
                end
            when latest.upper_limit < latest.target_value then 'consistently_passing'
            when latest.lower_limit > latest.target_value then 'consistently_failing'
            else 'hit_and_miss'
        end as assurance_icon
    from latest
    inner join first_months
        on
            latest.is_network_total = first_months.is_network_total
            and latest.site_code is not distinct from first_months.site_code
            and latest.indicator_id = first_months.indicator_id
)

select * from final
