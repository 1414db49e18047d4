-- The access targets the marts judge against (seed access_targets), published so that the
-- dashboard and every export can state them beside the figures they judge.
with targets as (
    select * from {{ ref('access_targets') }}
),

final as (
    select
        priority,
        target_service,
        first_attended_target_days,
        triage_target_working_days,
        target_source
    from targets
)

select * from final
