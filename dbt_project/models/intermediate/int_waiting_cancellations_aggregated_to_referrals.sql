-- Per referral, what happened to bookings while its RTT clock ran: the delay the patient chose
-- by cancelling in advance, measured from each cancelled appointment to the next one booked,
-- and the appointments the service cancelled. Under RTT rules neither changes the clock; the
-- first feeds the locally labelled adjusted wait, the second counts as a bottleneck.
with pathway as (
    select
        site_code,
        referral_id,
        rtt_clock_start_date,
        clock_stop_date
    from {{ ref('int_referrals_with_rtt_clock') }}
),

sessions as (
    select * from {{ ref('stg_sessions') }}
),

bookings as (
    select
        site_code,
        referral_id,
        session_id,
        status,
        cast(scheduled_at as date) as booked_date,
        cast(lead(scheduled_at) over (
            partition by site_code, referral_id order by scheduled_at, session_id
        ) as date) as next_booked_date
    from sessions
),

while_clock_runs as (
    select bookings.*
    from bookings
    inner join pathway
        on bookings.site_code = pathway.site_code and bookings.referral_id = pathway.referral_id
    where
        bookings.booked_date >= pathway.rtt_clock_start_date
        and (pathway.clock_stop_date is null or bookings.booked_date < pathway.clock_stop_date)
),

final as (
    select
        site_code,
        referral_id,
        sum(case when status = 'cancelled_by_patient' then 1 else 0 end)
            as patient_cancellations_while_waiting,
        coalesce(sum(case
            when status = 'cancelled_by_patient'
                then {{ days_between('booked_date', 'next_booked_date') }}
        end), 0) as patient_initiated_delay_days,
        sum(case when status = 'cancelled_by_service' then 1 else 0 end)
            as service_cancellations_while_waiting
    from while_clock_runs
    group by site_code, referral_id
)

select * from final
