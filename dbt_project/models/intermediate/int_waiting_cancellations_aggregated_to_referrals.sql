-- Per referral, what happened to bookings while its RTT clock ran: the delay the patient chose
-- by cancelling in advance, measured from each cancelled appointment to the next one booked,
-- and the appointments the service cancelled. Under RTT rules neither changes the clock; the
-- first feeds the locally labelled adjusted wait, the second counts as a bottleneck.
-- Incremental: a build recomputes only the referrals that loads since the previous build
-- touched (macro referrals_touched_since). Every referral has a row, with zeros when nothing
-- was cancelled while its clock ran, so that a correction never leaves a stale row behind.
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['site_code', 'referral_id'],
) }}

-- depends_on: {{ ref('stg_referrals') }}
-- depends_on: {{ source('raw', 'sessions') }}
with all_pathways as (
    select
        site_code,
        referral_id,
        rtt_clock_start_date,
        clock_stop_date,
        inputs_loaded_at
    from {{ ref('int_referrals_with_rtt_clock') }}
),

all_sessions as (
    select * from {{ ref('stg_sessions') }}
),

{% if is_incremental() %}
touched as (
    {{ referrals_touched_since(incremental_watermark('inputs_loaded_at')) }}
),

pathway as (
    select all_pathways.*
    from all_pathways
    inner join touched
        on
            all_pathways.site_code = touched.site_code
            and all_pathways.referral_id = touched.referral_id
),
{% else %}
pathway as (
    select * from all_pathways
),
{% endif %}

sessions as (
    select all_sessions.*
    from all_sessions
    inner join pathway
        on
            all_sessions.site_code = pathway.site_code
            and all_sessions.referral_id = pathway.referral_id
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

cancellations as (
    select
        site_code,
        referral_id,
        count(case when status = 'cancelled_by_patient' then 1 end)
            as patient_cancellations_while_waiting,
        cast(sum(case
            when status = 'cancelled_by_patient'
                then {{ days_between('booked_date', 'next_booked_date') }}
        end) as bigint) as patient_initiated_delay_days,
        count(case when status = 'cancelled_by_service' then 1 end)
            as service_cancellations_while_waiting
    from while_clock_runs
    group by site_code, referral_id
),

final as (
    select
        pathway.site_code,
        pathway.referral_id,
        pathway.inputs_loaded_at,
        coalesce(cancellations.patient_cancellations_while_waiting, 0)
            as patient_cancellations_while_waiting,
        coalesce(cancellations.patient_initiated_delay_days, 0) as patient_initiated_delay_days,
        coalesce(cancellations.service_cancellations_while_waiting, 0)
            as service_cancellations_while_waiting
    from pathway
    left join cancellations
        on
            pathway.site_code = cancellations.site_code
            and pathway.referral_id = cancellations.referral_id
)

select * from final
