-- Grain: one row per questionnaire sent item by item: carepath's score beside the site's
-- reported total, so a data manager can see which totals disagree and take them up with the
-- site (extract contract: "flags a reported value that disagrees").
select
    o.site_code,
    o.measure_id,
    o.referral_id,
    o.instrument,
    cast(o.assessed_at as date) as assessed_date,
    o.items_answered,
    o.reported_value,
    o.scored_value,
    o.is_reported_value_disagreeing
from {{ ref('int_outcome_scores') }} as o
where o.is_item_level
