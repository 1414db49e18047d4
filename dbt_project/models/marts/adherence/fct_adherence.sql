-- One row per referral with a prescribed programme: what was planned, what was delivered, and
-- how the programme ended (CERT dosage items; Nilsen et al. MSSE 2018).
with programmes as (
    select * from {{ ref('int_referrals_with_rtt_clock') }}
    where planned_sessions_per_week is not null and planned_weeks is not null
),

sessions as (
    select * from {{ ref('int_programme_sessions_aggregated_to_referrals') }}
),

as_of as (
    select * from {{ ref('int_census_dates_generated') }}
    where is_as_of_date
),

doses as (
    select
        programmes.site_code,
        programmes.referral_id,
        programmes.programme_type,
        programmes.planned_sessions_per_week,
        programmes.planned_weeks,
        programmes.planned_minutes_per_session,
        programmes.first_seen_date,
        programmes.discharged_date,
        programmes.discharge_reason,
        as_of.census_date as as_of_date,
        sessions.last_attended_date,
        sessions.last_booked_date,
        cast(
            {{ dbt.dateadd('day', 'programmes.planned_weeks * 7', 'programmes.first_seen_date') }}
            as date
        ) as planned_end_date,
        {{ round_half_away_from_zero(
            "programmes.planned_sessions_per_week * programmes.planned_weeks") }}
            as planned_sessions,
        coalesce(sessions.sessions_attended, 0) as sessions_attended,
        coalesce(sessions.sessions_did_not_attend, 0) as sessions_did_not_attend,
        coalesce(sessions.sessions_cancelled_by_patient, 0) as sessions_cancelled_by_patient,
        coalesce(sessions.sessions_cancelled_by_service, 0) as sessions_cancelled_by_service,
        coalesce(sessions.delivered_minutes, 0) as delivered_minutes,
        coalesce(sessions.interruptions, 0) as interruptions,
        -- The last day the patient is known to have engaged: the dropout date if they stop.
        coalesce(sessions.last_attended_date, programmes.first_seen_date) as last_engaged_date,
        -- The attendance denominator: sessions the patient was expected at. A session the
        -- service cancelled was never the patient's to attend, so it is left out.
        coalesce(sessions.sessions_attended, 0) + coalesce(sessions.sessions_did_not_attend, 0)
        + coalesce(sessions.sessions_cancelled_by_patient, 0) as sessions_expected
    from programmes
    cross join as_of
    left join sessions
        on
            programmes.site_code = sessions.site_code
            and programmes.referral_id = sessions.referral_id
),

rates as (
    select
        *,
        planned_sessions * planned_minutes_per_session as planned_minutes,
        {{ proportion('sessions_attended', 'sessions_expected') }} as prop_sessions_attended,
        least(1.0, {{ proportion('sessions_attended', 'planned_sessions') }})
            as prop_prescribed_sessions_attended,
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
        {{ proportion('sessions_did_not_attend', 'sessions_attended + sessions_did_not_attend') }}
            as prop_sessions_did_not_attend,
        -- A ratio, not a proportion: a programme can deliver more minutes than planned.
        {{ proportion('delivered_minutes', 'planned_minutes') }} as dose_intensity,
        case when is_dropout then last_engaged_date end as dropout_date,
        not is_dropout
        and has_reached_planned_end
        and coalesce(
            prop_prescribed_sessions_attended
            >= {{ var('completion_min_prop_prescribed_sessions_attended') }},
            false
        )
            as is_completed
    from rates
),

statuses as (
    select
        *,
        case
            when is_dropout then 'dropout'
            when is_completed then 'completed'
            when has_reached_planned_end then 'ended_below_target'
            when discharged_date is not null then 'discharged_early'
            else 'in_progress'
        end as programme_status
    from endings
),

final as (
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
        sessions_expected,
        delivered_minutes,
        prop_sessions_attended,
        prop_sessions_did_not_attend,
        prop_prescribed_sessions_attended,
        dose_intensity,
        interruptions,
        last_attended_date,
        discharged_date,
        discharge_reason,
        is_dropout,
        dropout_date,
        is_completed,
        programme_status
    from statuses
)

select * from final
