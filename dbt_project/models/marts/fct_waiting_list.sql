-- Grain: census date x referral still waiting at it: the incomplete-pathway snapshot of
-- metrics spec 1.2. Waiting = received on or before the census date and no clock stop (first
-- seen, declined or redirected at triage, discharged) on or before it. The wait runs from the
-- RTT clock start, or from its restart once a first-appointment DNA has happened.
with pathway as (
    select * from {{ ref('int_referral_pathway') }}
    where received_date is not null
),

census as (
    select * from {{ ref('int_census_dates') }}
),

waiting as (
    select
        c.census_date,
        c.is_as_of_date,
        p.site_code,
        p.referral_id,
        p.priority,
        p.received_date,
        p.first_appointment_date,
        coalesce(
            p.is_first_appointment_dna and p.first_appointment_date <= c.census_date, false
        ) as is_clock_restarted,
        {{ access_target_days('p.priority') }} as target_days
    from census as c
    inner join pathway as p
        on p.received_date <= c.census_date
    where p.clock_stop_date is null or p.clock_stop_date > c.census_date
),

clocks as (
    select
        *,
        case when is_clock_restarted then first_appointment_date else received_date end
            as clock_start_date
    from waiting
),

waits as (
    select
        *,
        {{ days_between('clock_start_date', 'census_date') }} as days_waiting
    from clocks
)

select
    census_date,
    is_as_of_date,
    site_code,
    referral_id,
    priority,
    received_date,
    clock_start_date,
    is_clock_restarted,
    days_waiting,
    cast(floor(days_waiting / 7.0) as {{ dbt.type_int() }}) as weeks_waiting,
    target_days,
    days_waiting <= target_days as is_within_target,
    days_waiting <= {{ var('rtt_incomplete_standard_days') }} as is_within_rtt_standard,
    row_number() over (
        partition by census_date, site_code order by days_waiting desc, referral_id
    ) as wait_rank_in_site
from waits
