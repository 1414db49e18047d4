-- Grain: indicator x month x site, plus the network (is_network_total), in long form: responders
-- among the baseline and follow-up pairs, and registry completeness. Both count in the month
-- of the patient's first attended session (day 0), the month the registry's windows are
-- measured from. Completeness counts a month once every follow-up window of its patients has
-- closed (fct_registry_completeness says who is eligible) and the site's outcome deliveries
-- reach that far: while a site's outcomes file is late, its missing follow-ups are a delivery
-- problem (the data-quality page shows it), not a gap in the registry.
with registry as (
    select * from {{ ref('fct_outcome_registry') }}
),

pathway as (
    select * from {{ ref('int_referrals_with_rtt_clock') }}
),

completeness as (
    select * from {{ ref('fct_registry_completeness') }}
),

deliveries as (
    select * from {{ ref('stg_loaded_files') }}
),

-- How far a site's loaded outcome files reach: the last day of the newest month a file covers
-- (its name's period), else its delivery date.
outcomes_reach as (
    select
        site_code,
        max(
            coalesce(
                cast({{ dbt.last_day("cast(data_period || '-01' as date)", 'month') }} as date),
                cast(delivered_at as date)
            )
        ) as outcomes_reach_date
    from deliveries
    where extract = 'outcomes' and status = 'loaded'
    group by site_code
),

delivered_completeness as (
    select completeness.*
    from completeness
    inner join outcomes_reach on completeness.site_code = outcomes_reach.site_code
    where
        {{ dbt.dateadd('day', var('followup_window_end_day'),
                       dbt.last_day('completeness.month_seen', 'month')) }}
        <= outcomes_reach.outcomes_reach_date
),

pairs as (
    select
        registry.site_code,
        registry.is_responder,
        cast({{ dbt.date_trunc('month', 'pathway.first_seen_date') }} as date) as month_seen
    from registry
    inner join pathway
        on
            registry.site_code = pathway.site_code
            and registry.referral_id = pathway.referral_id
    where registry.is_responder is not null
),

final as (
    {{ indicator_by_month('pairs', 'prop_pairs_responding', 'month_seen',
                        numerator='sum(case when is_responder then 1 else 0 end)',
                        denominator='count(*)') }}
    union all
    {{ indicator_by_month('delivered_completeness', 'prop_registry_complete', 'month_seen',
                        numerator='sum(patients_with_pair)',
                        denominator='sum(patients_eligible)') }}
)

select * from final
