-- Grain: indicator x month x site, plus the network (is_network_total), in long form: attendance,
-- dropout and completion of rehabilitation programmes. A programme counts in the month it
-- ended (its dropout date, else its discharge, else its planned end), once its outcome is
-- known: programmes still in progress would otherwise pull the latest months toward whatever
-- share of them happens to be finished. A month is judged only once its silent dropouts are
-- known too, var dropout_after_days_without_attendance after its last day (a dropout is
-- recognised that long after the last attendance, then dated back to it): until then the
-- month would hold its completions but not yet its dropouts, and end every chart on a false
-- improvement.
with adherence as (
    select * from {{ ref('fct_adherence') }}
),

as_of as (
    select census_date as as_of_date from {{ ref('int_census_dates_generated') }}
    where is_as_of_date
),

ended_programmes as (
    select
        site_code,
        sessions_attended,
        sessions_expected,
        is_dropout,
        is_completed,
        coalesce(dropout_date, discharged_date, planned_end_date) as ended_date
    from adherence
    where programme_status != 'in_progress'
),

by_month_ended as (
    select
        *,
        cast({{ dbt.date_trunc('month', 'ended_date') }} as date) as ended_month
    from ended_programmes
),

settled as (
    select by_month_ended.*
    from by_month_ended
    cross join as_of
    where
        {{ dbt.dateadd('day', var('dropout_after_days_without_attendance'),
                       dbt.last_day('by_month_ended.ended_month', 'month')) }}
        <= as_of.as_of_date
),

final as (
    {{ indicator_by_month('settled', 'prop_sessions_attended', 'ended_month',
                        numerator='sum(sessions_attended)',
                        denominator='sum(sessions_expected)') }}
    union all
    {{ indicator_by_month('settled', 'prop_programmes_dropped_out', 'ended_month',
                        numerator='sum(case when is_dropout then 1 else 0 end)',
                        denominator='count(*)') }}
    union all
    {{ indicator_by_month('settled', 'prop_programmes_completed', 'ended_month',
                        numerator='sum(case when is_completed then 1 else 0 end)',
                        denominator='count(*)') }}
)

select * from final
