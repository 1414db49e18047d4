-- One row per landed file: what arrived, when, and what the validation gate made of it.
-- Loaded files reconcile: rows_in_file = rows_loaded + rows_quarantined.
select
    delivery_id,
    site_code,
    extract,
    source_file,
    status,
    rejection_reason,
    rows_in_file,
    rows_loaded,
    rows_quarantined,
    cast(delivered_at as date) as delivered_date,
    cast({{ dbt.date_trunc('month', 'delivered_at') }} as date) as delivery_month,
    loaded_at
from {{ ref('stg_loaded_files') }}
