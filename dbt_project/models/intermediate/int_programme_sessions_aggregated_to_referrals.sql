-- Programme sessions per referral by status. Only treatment and group_class sessions count
-- toward the prescription: assessments and reviews are not doses of the prescribed programme.
-- An interruption is a run of var interruption_min_missed or more consecutive sessions the
-- patient missed (did not attend or cancelled); a session the service cancelled was not the
-- patient's to attend, so it neither extends nor breaks a run.
with sessions as (
    select * from {{ ref('stg_sessions') }}
    where session_kind in ('treatment', 'group_class')
),

runs as (
    select
        site_code,
        referral_id,
        case when status in ('did_not_attend', 'cancelled_by_patient') then 1 else 0 end
            as is_missed,
        -- Attended sessions so far: consecutive misses share this number.
        sum(case when status = 'attended' then 1 else 0 end) over (
            partition by site_code, referral_id
            order by scheduled_at, session_id
            rows between unbounded preceding and current row
        ) as attended_so_far
    from sessions
    where status <> 'cancelled_by_service'
),

long_runs as (
    select
        site_code,
        referral_id,
        attended_so_far
    from runs
    where is_missed = 1
    group by site_code, referral_id, attended_so_far
    having count(*) >= {{ var('interruption_min_missed') }}
),

interruptions as (
    select
        site_code,
        referral_id,
        count(*) as interruptions
    from long_runs
    group by site_code, referral_id
),

by_status as (
    select
        site_code,
        referral_id,
        sum(case when status = 'attended' then 1 else 0 end) as sessions_attended,
        sum(case when status = 'did_not_attend' then 1 else 0 end) as sessions_did_not_attend,
        sum(case when status = 'cancelled_by_patient' then 1 else 0 end)
            as sessions_cancelled_by_patient,
        sum(case when status = 'cancelled_by_service' then 1 else 0 end)
            as sessions_cancelled_by_service,
        sum(case when status = 'attended' then coalesce(delivered_minutes, 0) else 0 end)
            as delivered_minutes,
        max(case when status = 'attended' then scheduled_at end) as last_attended_at,
        max(scheduled_at) as last_booked_at
    from sessions
    group by site_code, referral_id
),

final as (
    select
        by_status.site_code,
        by_status.referral_id,
        by_status.sessions_attended,
        by_status.sessions_did_not_attend,
        by_status.sessions_cancelled_by_patient,
        by_status.sessions_cancelled_by_service,
        by_status.delivered_minutes,
        cast(by_status.last_attended_at as date) as last_attended_date,
        cast(by_status.last_booked_at as date) as last_booked_date,
        coalesce(interruptions.interruptions, 0) as interruptions
    from by_status
    left join interruptions
        on
            by_status.site_code = interruptions.site_code
            and by_status.referral_id = interruptions.referral_id
)

select * from final
