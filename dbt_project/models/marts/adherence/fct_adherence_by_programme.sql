-- Grain: site x programme type, and the whole network (is_network_total, site_code null) by
-- grouping sets over the same programmes. Attendance over every programme; completion, dropout
-- and relative dose intensity over the programmes that have ended (a programme in progress has
-- neither finished nor received its planned dose yet).
with adherence as (
    select * from {{ ref('fct_adherence') }}
),

programmes as (
    select
        site_code,
        is_completed,
        is_dropout,
        sessions_expected,
        sessions_attended,
        planned_minutes,
        delivered_minutes,
        coalesce(programme_type, 'not_recorded') as programme_type,
        programme_status <> 'in_progress' as has_ended
    from adherence
),

by_scope as (
    -- Sums are cast to bigint so a count has one type on every engine (DuckDB's sum is a
    -- hugeint); sqlfluff's ST06 takes any cast() for a bare column, hence the noqa.
    select  -- noqa: ST06
        site_code,
        programme_type,
        grouping(site_code) = 1 as is_network_total,
        count(*) as programmes,
        cast(sum(sessions_expected) as bigint) as sessions_expected,
        cast(sum(sessions_attended) as bigint) as sessions_attended,
        count(case when has_ended then 1 end) as programmes_ended,
        count(case when has_ended and is_completed then 1 end) as programmes_completed,
        count(case when has_ended and is_dropout then 1 end) as programmes_dropped_out,
        cast(sum(case when has_ended then planned_minutes else 0 end) as bigint)
            as planned_minutes_ended,
        cast(sum(case when has_ended then delivered_minutes else 0 end) as bigint)
            as delivered_minutes_ended
    from programmes
    group by grouping sets ((site_code, programme_type), (programme_type))
),

final as (
    select
        site_code,
        is_network_total,
        programme_type,
        programmes,
        sessions_expected,
        sessions_attended,
        {{ proportion('sessions_attended', 'sessions_expected') }} as prop_sessions_attended,
        programmes_ended,
        programmes_completed,
        {{ proportion('programmes_completed', 'programmes_ended') }} as prop_ended_completed,
        programmes_dropped_out,
        {{ proportion('programmes_dropped_out', 'programmes_ended') }}
            as prop_ended_dropped_out,
        planned_minutes_ended,
        delivered_minutes_ended,
        {{ proportion('delivered_minutes_ended', 'planned_minutes_ended') }}
            as relative_dose_intensity
    from by_scope
)

select * from final
