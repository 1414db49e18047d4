-- The monthly indicators as the dashboard lists them: one row per indicator of the seed
-- qi_indicators, published so that pages can choose and order indicators by data rather
-- than by lists of their own.
with indicators as (
    select * from {{ ref('qi_indicators') }}
),

final as (
    select
        indicator_id,
        indicator_label,
        indicator_unit,
        improvement_direction,
        target_value,
        month_basis,
        meaningful_difference,
        pathway_area,
        display_order
    from indicators
)

select * from final
