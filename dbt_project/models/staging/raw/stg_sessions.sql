-- Current version of each session (newest delivery wins per site_code, session_id).
with sessions as (
    select * from {{ source('raw', 'sessions') }}
),

versions as (
    {{ newest_delivery('sessions', ['site_code', 'session_id']) }}
),

final as (
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
)

select * from final
