-- Grain: census date x referral still waiting at it: the RTT incomplete-pathway snapshot.
-- Waiting = received on or before the census date and no clock stop (first seen, declined or
-- redirected at triage, discharged) on or before it. The wait runs from the RTT clock start,
-- or from its restart once a first-appointment DNA has happened.
with pathway as (
    select * from {{ ref('int_referrals_with_rtt_clock') }}
    where received_date is not null
),

census as (
    select * from {{ ref('int_census_dates_generated') }}
),

waiting as (
    select
        census.census_date,
        census.is_as_of_date,
        pathway.site_code,
        pathway.referral_id,
        pathway.priority,
        pathway.target_service,
        pathway.received_date,
        pathway.first_appointment_date,
        coalesce(
            pathway.is_first_appointment_dna
            and pathway.first_appointment_date <= census.census_date,
            false
        ) as is_clock_restarted,
        {{ access_target('first_attended_target_days') }} as target_days
    from census
    inner join pathway
        on census.census_date >= pathway.received_date
    {{ join_access_targets('pathway') }}
    where pathway.clock_stop_date is null or pathway.clock_stop_date > census.census_date
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
),

final as (
    select
        census_date,
        is_as_of_date,
        site_code,
        referral_id,
        priority,
        target_service,
        received_date,
        clock_start_date,
        is_clock_restarted,
        days_waiting,
        cast(floor(days_waiting / 7.0) as {{ dbt.type_int() }}) as weeks_waiting,
        target_days,
        days_waiting <= target_days as is_within_target,
        days_waiting <= {{ var('rtt_incomplete_standard_days') }} as is_within_rtt_standard,
        row_number() over (
            partition by census_date, site_code order by days_waiting desc, referral_id asc
        ) as wait_rank_in_site
    from waits
)

select * from final
