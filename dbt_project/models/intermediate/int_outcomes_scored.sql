-- Grain: one row per outcome measure (current version), with the score the registry uses.
-- A questionnaire sent item by item is scored here by its published rule and that score is
-- used; the site's reported total is kept, and flagged when it disagrees by more than var
-- reported_score_tolerance (or is given where the rules say the score is missing).
-- Incremental: a build rescores only the measures loaded since the previous build; every
-- measure has a row, so delete+insert replaces each one whole. Their scales were rescored in
-- this build with the same loaded_at, so the same watermark selects them.
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['site_code', 'measure_id'],
) }}

{% set watermark = incremental_watermark('loaded_at') %}

with outcomes as (
    select * from {{ ref('stg_outcomes') }}
    where {{ after_watermark('loaded_at', watermark) }}
),

scored as (
    select
        site_code,
        measure_id,
        items_answered,
        scale_score
    from {{ ref('int_questionnaire_items_scored_to_scales') }}
    where is_registry_scale and {{ after_watermark('loaded_at', watermark) }}
),

final as (
    select
        outcomes.site_code,
        outcomes.measure_id,
        outcomes.referral_id,
        outcomes.instrument,
        outcomes.assessed_at,
        outcomes.item_responses is not null as is_item_level,
        scored.items_answered,
        outcomes.value as reported_value,
        scored.scale_score as scored_value,
        case
            when outcomes.item_responses is not null then scored.scale_score
            else outcomes.value
        end as score,
        case
            when outcomes.item_responses is null or outcomes.value is null then false
            when scored.scale_score is null then true
            else abs(outcomes.value - scored.scale_score) > {{ var('reported_score_tolerance') }}
        end as is_reported_value_disagreeing,
        outcomes.loaded_at
    from outcomes
    left join scored
        on outcomes.site_code = scored.site_code and outcomes.measure_id = scored.measure_id
)

select * from final
