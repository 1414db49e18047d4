-- Grain: outcome measure x questionnaire scale, for measures sent item by item. Each scale is
-- scored by its published rule (seeds questionnaire_items and questionnaire_scales):
--   prorated_sum  (FACT/GOG-Ntx): items reverse-scored where marked, sum x items / answered;
--   linear_0_100  (EORTC): (mean of answered items - item min) / item range x 100;
-- and left missing when fewer than the scale's minimum items were answered.
with measures as (
    select site_code, measure_id, instrument, item_responses
    from {{ ref('stg_outcomes') }}
    where item_responses is not null
),

items as (
    select * from {{ ref('questionnaire_items') }}
),

scales as (
    select * from {{ ref('questionnaire_scales') }}
),

responses as (
    select
        m.site_code,
        m.measure_id,
        i.instrument,
        i.scale,
        i.item_min,
        i.item_max,
        {{ item_response('m.item_responses', 'i.item_position') }} as response,
        i.is_reverse_scored
    from measures as m
    inner join items as i
        on m.instrument = i.instrument
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
        avg(cast(item_score as {{ type_double() }})) as item_score_mean
    from item_scores
    group by site_code, measure_id, instrument, scale
)

select
    p.site_code,
    p.measure_id,
    p.instrument,
    p.scale,
    s.is_registry_scale,
    p.items_answered,
    s.items_in_scale,
    case
        when p.items_answered < s.min_items_answered then null
        when s.scoring_method = 'prorated_sum'
            then cast(p.item_score_sum as {{ type_double() }})
                * s.items_in_scale / p.items_answered
        when s.scoring_method = 'linear_0_100'
            then (p.item_score_mean - p.item_min) / (p.item_max - p.item_min) * 100
    end as scale_score
from per_scale as p
inner join scales as s
    on p.instrument = s.instrument and p.scale = s.scale
