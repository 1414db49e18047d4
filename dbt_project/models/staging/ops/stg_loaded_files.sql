-- Every landing entry the loader has judged, at its latest attempt: a file rejected under one
-- mapping and loaded after the mapping changed appears once, as loaded.
with ledger as (
    select * from {{ source('ops', 'loaded_files') }}
),

latest_attempt as (
    select
        *,
        row_number() over (partition by source_file order by delivery_id desc) as attempt_rank
    from ledger
),

final as (
    -- Columns in the ledger's reading order, calculated ones among them (not last).
    select  -- noqa: ST06
        delivery_id,
        source_file,
        site_code,
        extract,
        status,
        reason,
        coalesce(rows_in_file, 0) as rows_in_file,
        coalesce(rows_loaded, 0) as rows_loaded,
        coalesce(rows_quarantined, 0) as rows_quarantined,
        rows_released,
        -- The delivery's own date: the one its file name carries, else its arrival.
        coalesce(delivered_at, file_modified_at) as delivered_at,
        file_modified_at as arrived_at,
        data_period,
        loaded_at
    from latest_attempt
    where attempt_rank = 1
)

select * from final
