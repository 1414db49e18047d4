-- The words for every code a page, a chart or the QI pack shows (seed code_labels), with the
-- instruments' names (seed instruments) as the code set 'instrument': one list the dashboard
-- reads, so no page shows a code it has no word for.
with code_labels as (
    select * from {{ ref('code_labels') }}
),

instruments as (
    select * from {{ ref('instruments') }}
),

final as (
    select
        code_set,
        code,
        label
    from code_labels
    union all
    select
        'instrument' as code_set,
        instrument as code,
        label
    from instruments
)

select * from final
