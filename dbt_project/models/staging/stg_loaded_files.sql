-- Every landed file the loader has judged, loaded or rejected. The delivery date is the
-- file's modification time as it landed.
select
    delivery_id,
    source_file,
    site_code,
    extract,
    status,
    rejection_reason,
    coalesce(rows_in_file, 0) as rows_in_file,
    coalesce(rows_loaded, 0) as rows_loaded,
    coalesce(rows_quarantined, 0) as rows_quarantined,
    file_modified_at as delivered_at,
    loaded_at
from {{ source('ops', 'loaded_files') }}
