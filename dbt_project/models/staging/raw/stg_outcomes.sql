-- Current version of each outcome measure (newest delivery wins per site_code, measure_id).
-- Incremental: a build recomputes only the measures that rows loaded since the previous build
-- touched (new, resent, corrected, or released from quarantine), over every version of them, so
-- a late-arriving older version never displaces a newer one and the cost follows the new rows,
-- not the history. A changed dbt project is rebuilt in full (carepath passes --full-refresh).
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['site_code', 'measure_id'],
) }}

with
{% if is_incremental() %}
-- Both CTEs read the source table itself: a CTE read twice is materialised whole (the entire
-- raw history), where each read of the table skips the row groups it can.
touched as (
    select distinct
        site_code,
        measure_id
    from {{ source('raw', 'outcomes') }}
    where {{ after_watermark('_loaded_at', incremental_watermark('loaded_at')) }}
),

candidates as (
    select outcomes.*
    from {{ source('raw', 'outcomes') }} as outcomes
    inner join touched
        on
            outcomes.site_code = touched.site_code
            and outcomes.measure_id = touched.measure_id
),
{% else %}
candidates as (
    select * from {{ source('raw', 'outcomes') }}
),
{% endif %}

versions as (
    {{ newest_delivery('candidates', ['site_code', 'measure_id']) }}
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
        _delivery_id as delivery_id,
        _loaded_at as loaded_at
    from versions
)

select * from final
