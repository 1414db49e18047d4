-- Grain: site x extract x data month (the month a file's data covers, not the month it
-- arrived), from the site's first data month to the newest seen from any site. A month no
-- file from that site for that extract covers is a missing delivery; a site x extract whose
-- newest file arrived more than var delivery_late_after_days before the newest delivery from
-- any site is late.
with files as (
    select * from {{ ref('fct_deliveries') }}
    where
        site_code is not null
        and extract is not null
        -- Duplicates and ignored entries are not deliveries of their own.
        and status in ('loaded', 'rejected')
),

months as (
    select distinct data_month from files
),

as_of as (
    select
        max(delivered_date) as as_of_date,
        max(data_month) as as_of_month
    from files
),

streams as (
    select
        site_code,
        extract,
        min(data_month) as first_month,
        max(delivered_date) as last_delivered_date
    from files
    group by site_code, extract
),

expected as (
    select
        streams.site_code,
        streams.extract,
        months.data_month,
        streams.last_delivered_date
    from streams
    inner join months on streams.first_month <= months.data_month
),

delivered as (
    -- Sums are cast to bigint so a count has one type on every engine (DuckDB's sum is a
    -- hugeint); sqlfluff's ST06 takes any cast() for a bare column, hence the noqa.
    select  -- noqa: ST06
        site_code,
        extract,
        data_month,
        count(*) as files,
        count(case when status = 'rejected' then 1 end) as files_rejected,
        cast(sum(rows_loaded) as bigint) as rows_loaded,
        cast(sum(rows_quarantined) as bigint) as rows_quarantined
    from files
    group by site_code, extract, data_month
),

schedule as (
    select
        expected.site_code,
        expected.extract,
        expected.data_month,
        expected.last_delivered_date,
        coalesce(delivered.files, 0) as files,
        coalesce(delivered.files_rejected, 0) as files_rejected,
        coalesce(delivered.rows_loaded, 0) as rows_loaded,
        coalesce(delivered.rows_quarantined, 0) as rows_quarantined,
        delivered.files is null as is_missing,
        {{ days_between('expected.last_delivered_date', 'as_of.as_of_date') }}
            as days_since_last_delivery
    from expected
    cross join as_of
    left join delivered
        on
            expected.site_code = delivered.site_code
            and expected.extract = delivered.extract
            and expected.data_month = delivered.data_month
),

final as (
    select
        site_code,
        extract,
        data_month,
        files,
        files_rejected,
        rows_loaded,
        rows_quarantined,
        is_missing,
        last_delivered_date,
        days_since_last_delivery,
        days_since_last_delivery > {{ var('delivery_late_after_days') }} as is_late
    from schedule
)

select * from final
