-- The census dates of the incomplete-pathway snapshot: every month end from the first month a
-- referral was received up to the data's as-of date, plus the as-of date itself, which is the
-- "who is waiting now" snapshot. Every month end, whether or not a referral arrived in that
-- month: patients wait through a month of no demand too.
-- The as-of date is the newest event the extracts know about, unless var census_as_of_date
-- fixes it (a site re-running an audit as at a past date).
with pathway as (
    select * from {{ ref('int_referrals_with_rtt_clock') }}
),

sessions as (
    select * from {{ ref('stg_sessions') }}
),

event_dates as ( -- Read only when census_as_of_date is null; lint renders it set. -- noqa: ST03
    select referred_date as event_date from pathway
    union all
    select received_date from pathway
    union all
    select triaged_date from pathway
    union all
    select first_offered_date from pathway
    union all
    select first_seen_date from pathway
    union all
    select discharged_date from pathway
    union all
    select cast(scheduled_at as date) as event_date from sessions
),

as_of as (
    {%- if var('census_as_of_date', none) %}
    select cast('{{ var("census_as_of_date") }}' as date) as as_of_date
    {%- else %}
    select max(event_date) as as_of_date from event_dates
    {%- endif %}
),

first_month as (
    select cast({{ dbt.date_trunc('month', 'min(received_date)') }} as date) as first_month
    from pathway
),

digits as (
    {%- for digit in range(10) %}
    select {{ digit }} as digit
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

-- Months after the first: 0 to 9,999 (over eight centuries, so no census is ever cut off).
month_offsets as (
    select
        thousands.digit * 1000 + hundreds.digit * 100 + tens.digit * 10 + units.digit
            as month_offset
    from digits as thousands
    cross join digits as hundreds
    cross join digits as tens
    cross join digits as units
),

months as (
    select
        cast(
            {{ dbt.dateadd('month', 'month_offsets.month_offset', 'first_month.first_month') }}
            as date
        ) as census_month
    from first_month
    cross join month_offsets
    cross join as_of
    where
        first_month.first_month is not null
        and {{ dbt.dateadd('month', 'month_offsets.month_offset', 'first_month.first_month') }}
        <= as_of.as_of_date
),

month_ends as (
    select cast({{ dbt.last_day('census_month', 'month') }} as date) as census_date
    from months
),

final as (
    select
        month_ends.census_date,
        false as is_as_of_date
    from month_ends
    cross join as_of
    where month_ends.census_date < as_of.as_of_date

    union all

    -- An empty warehouse (nothing loaded yet) has no as-of date and so no census.
    select
        as_of_date as census_date,
        true as is_as_of_date
    from as_of
    where as_of_date is not null
)

select * from final
