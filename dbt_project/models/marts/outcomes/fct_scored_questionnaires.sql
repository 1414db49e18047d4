-- Grain: one row per questionnaire sent item by item: carepath's score beside the site's
-- reported total, so a data manager can see which totals disagree and take them up with the
-- site.
with outcomes as (
    select * from {{ ref('int_outcomes_scored') }}
    where is_item_level
),

final as (
    select
        site_code,
        measure_id,
        referral_id,
        instrument,
        cast(assessed_at as date) as assessed_date,
        items_answered,
        reported_value,
        scored_value,
        is_reported_value_disagreeing
    from outcomes
)

select * from final
