-- One row per landing entry: what arrived, when, and what the loader made of it (loaded,
-- rejected whole, a duplicate of an earlier file, or ignored). Loaded files reconcile:
-- rows_in_file = rows_loaded + rows_quarantined.
with ledger as (
    select * from {{ ref('stg_loaded_files') }}
),

final as (
    select
        delivery_id,
        site_code,
        extract,
        source_file,
        status,
        reason,
        rows_in_file,
        rows_loaded,
        rows_quarantined,
        rows_released,
        cast(delivered_at as date) as delivered_date,
        cast({{ dbt.date_trunc('month', 'delivered_at') }} as date) as delivery_month,
        data_period,
        -- The month the file's data covers: the one its name says, else (a name without a
        -- period) the month it was delivered in.
        coalesce(
            cast({{ dbt.concat(["data_period", "'-01'"]) }} as date),
            cast({{ dbt.date_trunc('month', 'delivered_at') }} as date)
        ) as data_month,
        loaded_at
    from ledger
)

select * from final
