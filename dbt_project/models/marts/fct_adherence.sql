-- One row per referral with a prescribed programme: what was planned, what was delivered
-- (metrics spec 2, CERT dosage items).
with programmes as (
    select * from {{ ref('int_referral_pathway') }}
    where planned_sessions_per_week is not null and planned_weeks is not null
),

sessions as (
    select * from {{ ref('int_programme_sessions') }}
),

doses as (
    select
        p.site_code,
        p.referral_id,
        p.programme_type,
        p.planned_sessions_per_week,
        p.planned_weeks,
        p.planned_minutes_per_session,
        p.discharge_reason,
        round(p.planned_sessions_per_week * p.planned_weeks) as planned_sessions,
        coalesce(s.sessions_attended, 0) as sessions_attended,
        coalesce(s.sessions_did_not_attend, 0) as sessions_did_not_attend,
        coalesce(s.sessions_cancelled_by_patient, 0) as sessions_cancelled_by_patient,
        coalesce(s.sessions_cancelled_by_service, 0) as sessions_cancelled_by_service,
        coalesce(s.delivered_minutes, 0) as delivered_minutes
    from programmes as p
    left join sessions as s
        on p.site_code = s.site_code and p.referral_id = s.referral_id
),

rates as (
    select
        *,
        planned_sessions * planned_minutes_per_session as planned_minutes,
        -- Provider cancellations are left out of the booked-attendance denominator.
        cast(sessions_attended as {{ dbt.type_float() }})
            / nullif(sessions_attended + sessions_did_not_attend + sessions_cancelled_by_patient, 0)
            as attendance_rate,
        least(1.0, cast(sessions_attended as {{ dbt.type_float() }}) / nullif(planned_sessions, 0))
            as prescribed_adherence
    from doses
)

select
    site_code,
    referral_id,
    programme_type,
    planned_sessions_per_week,
    planned_weeks,
    planned_minutes_per_session,
    planned_sessions,
    planned_minutes,
    sessions_attended,
    sessions_did_not_attend,
    sessions_cancelled_by_patient,
    sessions_cancelled_by_service,
    delivered_minutes,
    attendance_rate,
    prescribed_adherence,
    cast(delivered_minutes as {{ dbt.type_float() }}) / nullif(planned_minutes, 0) as dose_intensity,
    discharge_reason,
    coalesce(discharge_reason in ('patient_withdrew', 'lost_to_follow_up'), false) as is_dropout,
    coalesce(
        discharge_reason = 'completed'
        and prescribed_adherence >= {{ var('completion_min_prescribed_adherence') }},
        false
    ) as is_completed
from rates
