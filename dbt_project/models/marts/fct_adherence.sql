-- One row per referral with a prescribed programme: what was planned, what was delivered, and
-- how the programme ended (metrics spec 2, CERT dosage items; Nilsen et al. MSSE 2018).
with programmes as (
    select * from {{ ref('int_referral_pathway') }}
    where planned_sessions_per_week is not null and planned_weeks is not null
),

sessions as (
    select * from {{ ref('int_programme_sessions') }}
),

as_of as (
    select census_date as as_of_date from {{ ref('int_census_dates') }} where is_as_of_date
),

doses as (
    select
        p.site_code,
        p.referral_id,
        p.programme_type,
        p.planned_sessions_per_week,
        p.planned_weeks,
        p.planned_minutes_per_session,
        p.first_seen_date,
        p.discharged_date,
        p.discharge_reason,
        a.as_of_date,
        round(p.planned_sessions_per_week * p.planned_weeks) as planned_sessions,
        cast({{ dbt.dateadd('day', 'p.planned_weeks * 7', 'p.first_seen_date') }} as date)
            as planned_end_date,
        coalesce(s.sessions_attended, 0) as sessions_attended,
        coalesce(s.sessions_did_not_attend, 0) as sessions_did_not_attend,
        coalesce(s.sessions_cancelled_by_patient, 0) as sessions_cancelled_by_patient,
        coalesce(s.sessions_cancelled_by_service, 0) as sessions_cancelled_by_service,
        coalesce(s.delivered_minutes, 0) as delivered_minutes,
        coalesce(s.interruptions, 0) as interruptions,
        s.last_attended_date,
        s.last_booked_date,
        -- The last day the patient is known to have engaged: the dropout date if they stop.
        coalesce(s.last_attended_date, p.first_seen_date) as last_engaged_date
    from programmes as p
    cross join as_of as a
    left join sessions as s
        on p.site_code = s.site_code and p.referral_id = s.referral_id
),

rates as (
    select
        *,
        planned_sessions * planned_minutes_per_session as planned_minutes,
        -- Provider cancellations are left out of the booked-attendance denominator.
        cast(sessions_attended as {{ type_double() }})
            / nullif(sessions_attended + sessions_did_not_attend + sessions_cancelled_by_patient, 0)
            as attendance_rate,
        least(1.0, cast(sessions_attended as {{ type_double() }}) / nullif(planned_sessions, 0))
            as prescribed_adherence,
        coalesce(
            last_engaged_date < planned_end_date
            -- A patient who attended every planned session has not dropped out, even when the
            -- last one fell before the nominal end date.
            and sessions_attended < planned_sessions
            and (
                -- (a) discharged as a DNA or by the patient's choice ...
                discharge_reason in ('patient_withdrew', 'lost_to_follow_up')
                -- (b) ... or still open with no attendance for long enough and nothing booked.
                or (
                    discharged_date is null
                    and {{ days_between('last_engaged_date', 'as_of_date') }}
                        >= {{ var('dropout_after_days_without_attendance') }}
                    and coalesce(last_booked_date <= as_of_date, true)
                )
            ),
            false
        ) as is_dropout,
        coalesce(
            discharge_reason = 'completed'
            or (discharged_date is null and planned_end_date <= as_of_date)
            or discharged_date >= planned_end_date,
            false
        ) as has_reached_planned_end
    from doses
),

endings as (
    select
        *,
        not is_dropout
            and has_reached_planned_end
            and coalesce(prescribed_adherence >= {{ var('completion_min_prescribed_adherence') }},
                         false)
            as is_completed
    from rates
)

select
    site_code,
    referral_id,
    programme_type,
    planned_sessions_per_week,
    planned_weeks,
    planned_minutes_per_session,
    first_seen_date,
    planned_end_date,
    planned_sessions,
    planned_minutes,
    sessions_attended,
    sessions_did_not_attend,
    sessions_cancelled_by_patient,
    sessions_cancelled_by_service,
    delivered_minutes,
    attendance_rate,
    cast(sessions_did_not_attend as {{ type_double() }})
        / nullif(sessions_attended + sessions_did_not_attend, 0) as dna_rate,
    prescribed_adherence,
    cast(delivered_minutes as {{ type_double() }}) / nullif(planned_minutes, 0) as dose_intensity,
    interruptions,
    last_attended_date,
    discharged_date,
    discharge_reason,
    is_dropout,
    case when is_dropout then last_engaged_date end as dropout_date,
    is_completed,
    case
        when is_dropout then 'dropout'
        when is_completed then 'completed'
        when has_reached_planned_end then 'ended_below_target'
        when discharged_date is not null then 'discharged_early'
        else 'in_progress'
    end as programme_status
from endings
