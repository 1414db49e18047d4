-- Programme sessions per referral by status. Only treatment and group_class sessions count
-- toward the prescription; assessments and reviews are not programme doses (metrics spec 2).
-- An interruption is a run of var interruption_min_missed or more consecutive sessions the
-- patient missed (did not attend or cancelled); a session the service cancelled was not the
-- patient's to attend, so it neither extends nor breaks a run.
with sessions as (
    select
        *,
        case when status in ('did_not_attend', 'cancelled_by_patient') then 1 else 0 end
            as is_missed
    from {{ ref('stg_sessions') }}
    where session_kind in ('treatment', 'group_class')
),

runs as (
    select
        site_code,
        referral_id,
        is_missed,
        -- Attended sessions so far: consecutive misses share this number.
        sum(case when status = 'attended' then 1 else 0 end) over (
            partition by site_code, referral_id
            order by scheduled_at, session_id
            rows between unbounded preceding and current row
        ) as attended_so_far
    from sessions
    where status <> 'cancelled_by_service'
),

interruptions as (
    select site_code, referral_id, count(*) as interruptions
    from (
        select site_code, referral_id, attended_so_far
        from runs
        where is_missed = 1
        group by site_code, referral_id, attended_so_far
        having count(*) >= {{ var('interruption_min_missed') }}
    ) as long_runs
    group by site_code, referral_id
)

select
    s.site_code,
    s.referral_id,
    sum(case when s.status = 'attended' then 1 else 0 end) as sessions_attended,
    sum(case when s.status = 'did_not_attend' then 1 else 0 end) as sessions_did_not_attend,
    sum(case when s.status = 'cancelled_by_patient' then 1 else 0 end)
        as sessions_cancelled_by_patient,
    sum(case when s.status = 'cancelled_by_service' then 1 else 0 end)
        as sessions_cancelled_by_service,
    sum(case when s.status = 'attended' then coalesce(s.delivered_minutes, 0) else 0 end)
        as delivered_minutes,
    cast(max(case when s.status = 'attended' then s.scheduled_at end) as date)
        as last_attended_date,
    cast(max(s.scheduled_at) as date) as last_booked_date,
    coalesce(max(i.interruptions), 0) as interruptions
from sessions as s
left join interruptions as i
    on s.site_code = i.site_code and s.referral_id = i.referral_id
group by s.site_code, s.referral_id
