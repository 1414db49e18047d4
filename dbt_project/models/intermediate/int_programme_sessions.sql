-- Programme sessions per referral by status. Only treatment and group_class sessions count
-- toward the prescription; assessments and reviews are not programme doses (metrics spec 2).
with sessions as (
    select * from {{ ref('stg_sessions') }}
    where session_kind in ('treatment', 'group_class')
)

select
    site_code,
    referral_id,
    sum(case when status = 'attended' then 1 else 0 end) as sessions_attended,
    sum(case when status = 'did_not_attend' then 1 else 0 end) as sessions_did_not_attend,
    sum(case when status = 'cancelled_by_patient' then 1 else 0 end) as sessions_cancelled_by_patient,
    sum(case when status = 'cancelled_by_service' then 1 else 0 end) as sessions_cancelled_by_service,
    sum(case when status = 'attended' then coalesce(delivered_minutes, 0) else 0 end)
        as delivered_minutes,
    max(case when status = 'attended' then scheduled_at end) as last_attended_at
from sessions
group by site_code, referral_id
