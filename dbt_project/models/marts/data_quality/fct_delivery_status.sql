-- Grain: site x extract, and one row for the whole network (is_network_total, site_code and
-- extract null). Where each site's delivery of each extract stands: files and rows over all
-- months, the newest delivery and how old it is, whether it is late, and the months in which
-- no file was delivered (fct_delivery_schedule's months).
with schedule as (
    select * from {{ ref('fct_delivery_schedule') }}
),

by_stream as (
    select
        site_code,
        extract,
        grouping(site_code) = 1 as is_network_total,
        cast(sum(files) as bigint) as files,
        cast(sum(files) as bigint) - cast(sum(files_rejected) as bigint) as files_loaded,
        cast(sum(files_rejected) as bigint) as files_rejected,
        cast(sum(rows_loaded) as bigint) as rows_loaded,
        cast(sum(rows_quarantined) as bigint) as rows_quarantined,
        max(last_delivered_date) as last_delivered_date,
        max(days_since_last_delivery) as days_since_last_delivery,
        {{ dbt.bool_or('is_late') }} as is_late,
        count(case when is_missing then 1 end) as months_missing,
        -- A stream missing no month lists none (null), on every engine: Spark's listagg of
        -- nothing is '' where DuckDB's and PostgreSQL's is null.
        nullif({{ dbt.listagg(
                "case when is_missing then substring(cast(data_month as "
                    ~ dbt.type_string() ~ "), 1, 7) end",
                "', '",
                "order by data_month") }}, '') as missing_months
    from schedule
    group by grouping sets ((site_code, extract), ())
),

final as (
    select
        site_code,
        extract,
        is_network_total,
        files,
        files_loaded,
        files_rejected,
        rows_loaded,
        rows_quarantined,
        last_delivered_date,
        days_since_last_delivery,
        is_late,
        months_missing,
        -- A list of months is a site's; the network row counts them only.
        case when not is_network_total then missing_months end as missing_months
    from by_stream
)

select * from final
