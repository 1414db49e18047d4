-- Grain: one row per outcome measure (current version), with the score the registry uses.
-- A questionnaire sent item by item is scored here by its published rule and that score is
-- used; the site's reported total is kept, and flagged when it disagrees by more than var
-- reported_score_tolerance (or is given where the rules say the score is missing).
with outcomes as (
    select * from {{ ref('stg_outcomes') }}
),

scored as (
    select site_code, measure_id, items_answered, scale_score
    from {{ ref('int_questionnaire_scale_scores') }}
    where is_registry_scale
)

select
    o.site_code,
    o.measure_id,
    o.referral_id,
    o.instrument,
    o.assessed_at,
    o.item_responses is not null as is_item_level,
    s.items_answered,
    o.value as reported_value,
    s.scale_score as scored_value,
    case when o.item_responses is not null then s.scale_score else o.value end as score,
    case
        when o.item_responses is null or o.value is null then false
        when s.scale_score is null then true
        else abs(o.value - s.scale_score) > {{ var('reported_score_tolerance') }}
    end as is_reported_value_disagreeing
from outcomes as o
left join scored as s
    on o.site_code = s.site_code and o.measure_id = s.measure_id
