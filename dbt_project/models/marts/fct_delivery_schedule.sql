-- Grain: site x extract x month, from the site's first delivery to the newest delivery seen
-- from any site. A month without a file from that site for that extract is a missing
-- delivery; a site x extract whose newest file is older than var delivery_late_after_days at
-- that date is late.
with files as (
    select * from {{ ref('fct_deliveries') }}
    where site_code is not null and extract is not null
        -- Duplicates and ignored entries are not deliveries of their own.
        and status in ('loaded', 'rejected')
),

months as (
    select distinct delivery_month from files
),

as_of as (
    select max(delivered_date) as as_of_date, max(delivery_month) as as_of_month from files
),

streams as (
    select
        site_code,
        extract,
        min(delivery_month) as first_month,
        max(delivered_date) as last_delivered_date
    from files
    group by site_code, extract
),

expected as (
    select s.site_code, s.extract, m.delivery_month, s.last_delivered_date
    from streams as s
    inner join months as m on m.delivery_month >= s.first_month
),

delivered as (
    select
        site_code,
        extract,
        delivery_month,
        count(*) as files,
        sum(case when status = 'rejected' then 1 else 0 end) as files_rejected,
        sum(rows_loaded) as rows_loaded,
        sum(rows_quarantined) as rows_quarantined
    from files
    group by site_code, extract, delivery_month
)

select
    e.site_code,
    e.extract,
    e.delivery_month,
    coalesce(d.files, 0) as files,
    coalesce(d.files_rejected, 0) as files_rejected,
    coalesce(d.rows_loaded, 0) as rows_loaded,
    coalesce(d.rows_quarantined, 0) as rows_quarantined,
    d.files is null as is_missing,
    e.last_delivered_date,
    {{ dbt.datediff('e.last_delivered_date', 'a.as_of_date', 'day') }} as days_since_last_delivery,
    {{ dbt.datediff('e.last_delivered_date', 'a.as_of_date', 'day') }}
        > {{ var('delivery_late_after_days') }} as is_late
from expected as e
cross join as_of as a
left join delivered as d
    on e.site_code = d.site_code and e.extract = d.extract
    and e.delivery_month = d.delivery_month
