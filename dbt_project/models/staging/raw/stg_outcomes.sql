-- Current version of each outcome (newest delivery wins per site_code, measure_id).
with outcomes as (
    select * from {{ source('raw', 'outcomes') }}
),

versions as (
    {{ newest_delivery('outcomes', ['site_code', 'measure_id']) }}
),

final as (
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
)

select * from final
