select
    delivery_id,
    source_file,
    line_number,
    site_code,
    extract,
    rule,
    rule_description,
    quarantined_at
from {{ source('ops', 'quarantine') }}
