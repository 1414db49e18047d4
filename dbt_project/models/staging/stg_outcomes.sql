-- Current version of each outcome (newest delivery wins per site_code, measure_id).
with versions as (
    {{ newest_delivery(source('raw', 'outcomes'), ['site_code', 'measure_id']) }}
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
