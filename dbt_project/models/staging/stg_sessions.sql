-- Newest delivery wins per (site_code, session_id).
with versions as (
    select
        *,
        row_number() over (
            partition by site_code, session_id
            order by _delivery_id desc, _line_number desc
        ) as version_rank
    from {{ source('raw', 'sessions') }}
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
where version_rank = 1
