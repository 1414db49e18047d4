-- Per referral, what happened to bookings while its RTT clock ran (metrics spec 1.2, clock
-- adjustments 2 and 3): the delay the patient chose by cancelling in advance, measured from
-- each cancelled appointment to the next one booked, and the appointments the service cancelled.
-- Neither changes the RTT clock; the first feeds the locally labelled adjusted wait, the second
-- counts as a bottleneck.
with pathway as (
    select site_code, referral_id, rtt_clock_start_date, clock_stop_date
    from {{ ref('int_referral_pathway') }}
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
    from {{ ref('stg_sessions') }}
),

while_clock_runs as (
    select b.*
    from bookings as b
    inner join pathway as p
        on b.site_code = p.site_code and b.referral_id = p.referral_id
    where b.booked_date >= p.rtt_clock_start_date
        and (p.clock_stop_date is null or b.booked_date < p.clock_stop_date)
)

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
