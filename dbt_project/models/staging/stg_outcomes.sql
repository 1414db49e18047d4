-- Newest delivery wins per (site_code, measure_id).
with versions as (
    select
        *,
        row_number() over (
            partition by site_code, measure_id
            order by _delivery_id desc, _line_number desc
        ) as version_rank
    from {{ source('raw', 'outcomes') }}
)

select
    site_code,
    measure_id,
    referral_id,
    patient_key,
    instrument,
    assessed_at,
    value,
    item_responses,
    _delivery_id as delivery_id
from versions
where version_rank = 1
