-- Current version of each session (newest delivery wins per site_code, session_id).
with versions as (
    {{ newest_delivery(source('raw', 'sessions'), ['site_code', 'session_id']) }}
)

select
    site_code,
    session_id,
    referral_id,
    patient_key,
    session_kind,
    scheduled_at,
    status,
    delivered_minutes,
    mode,
    discipline,
    _delivery_id as delivery_id
from versions
