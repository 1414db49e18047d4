-- Grain: outcome measure x questionnaire scale, for measures sent item by item. Each scale is
-- scored by its published rule (seeds questionnaire_items and questionnaire_scales):
--   prorated_sum  (FACT/GOG-Ntx): items reverse-scored where marked, sum x items / answered;
--   linear_0_100  (EORTC): (mean of answered items - item min) / item range x 100;
-- and left missing when fewer than the scale's minimum items were answered.
-- Incremental: a build rescores only the measures loaded since the previous build (macro
-- outcome_measures_touched_since). A correction may drop a measure's items, leaving it no
-- scales, so the touched measures' rows are deleted first and their new rows appended
-- (macro delete_touched_keys).
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_touched_keys(['site_code', 'measure_id'],
        outcome_measures_touched_since(incremental_watermark('loaded_at'))) }}",
) }}

with measures as (
    select
        site_code,
        measure_id,
        instrument,
        item_responses,
        loaded_at
    from {{ ref('stg_outcomes') }}
    where
        item_responses is not null
        and {{ after_watermark('loaded_at', incremental_watermark('loaded_at')) }}
),

items as (
    select * from {{ ref('questionnaire_items') }}
),

scales as (
    select * from {{ ref('questionnaire_scales') }}
),

responses as (
    select
        measures.site_code,
        measures.measure_id,
        measures.loaded_at,
        items.instrument,
        items.scale,
        items.item_min,
        items.item_max,
        {{ item_response('measures.item_responses', 'items.item_position') }} as response,
        items.is_reverse_scored
    from measures
    inner join items
        on measures.instrument = items.instrument
),

item_scores as (
    select
        *,
        case
            when is_reverse_scored then item_max + item_min - response
            else response
        end as item_score
    from responses
),

per_scale as (
    select
        site_code,
        measure_id,
        instrument,
        scale,
        min(item_min) as item_min,
        max(item_max) as item_max,
        count(item_score) as items_answered,
        sum(item_score) as item_score_sum,
        avg(cast(item_score as {{ type_double() }})) as item_score_mean,
        max(loaded_at) as loaded_at
    from item_scores
    group by site_code, measure_id, instrument, scale
),

final as (
    select
        per_scale.site_code,
        per_scale.measure_id,
        per_scale.instrument,
        per_scale.scale,
        scales.is_registry_scale,
        per_scale.items_answered,
        scales.items_in_scale,
        case
            when per_scale.items_answered < scales.min_items_answered then null
            when scales.scoring_method = 'prorated_sum'
                then
                    cast(per_scale.item_score_sum as {{ type_double() }})
                    * scales.items_in_scale / per_scale.items_answered
            when scales.scoring_method = 'linear_0_100'
                then
                    (per_scale.item_score_mean - per_scale.item_min)
                    / (per_scale.item_max - per_scale.item_min) * 100
        end as scale_score,
        per_scale.loaded_at
    from per_scale
    inner join scales
        on per_scale.instrument = scales.instrument and per_scale.scale = scales.scale
)

select * from final
