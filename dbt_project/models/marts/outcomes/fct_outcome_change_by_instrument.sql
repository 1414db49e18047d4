-- Grain: site x instrument, and the whole network (is_network_total, site_code null) by
-- grouping sets over the same pairs. Change from baseline to the 12-week follow-up, signed so
-- that a positive improvement is better whichever way the instrument runs, and the share of
-- pairs improving by at least the instrument's minimal clinically important difference.
with registry as (
    select * from {{ ref('fct_outcome_registry') }}
    where has_pair
),

instruments as (
    select * from {{ ref('instruments') }}
),

by_scope as (
    select
        site_code,
        instrument,
        grouping(site_code) = 1 as is_network_total,
        count(*) as pairs,
        percentile_cont(0.5) within group (order by baseline_value) as median_baseline_value,
        percentile_cont(0.5) within group (order by followup_value) as median_followup_value,
        percentile_cont(0.5) within group (order by improvement) as median_improvement,
        count(case when is_responder is not null then 1 end) as pairs_assessed,
        count(case when is_responder then 1 end) as pairs_responding
    from registry
    group by grouping sets ((site_code, instrument), (instrument))
),

final as (
    select
        by_scope.site_code,
        by_scope.is_network_total,
        by_scope.instrument,
        instruments.label as instrument_label,
        instruments.unit as instrument_unit,
        instruments.mcid,
        by_scope.pairs,
        by_scope.median_baseline_value,
        by_scope.median_followup_value,
        by_scope.median_improvement,
        by_scope.pairs_assessed,
        by_scope.pairs_responding,
        {{ proportion('by_scope.pairs_responding', 'by_scope.pairs_assessed') }}
            as prop_pairs_responding
    from by_scope
    left join instruments
        on by_scope.instrument = instruments.instrument
)

select * from final
