-- Grain: indicator x month x site, plus the network (is_network_total), in long form: responders
-- among the baseline and follow-up pairs, and registry completeness. Both count in the month
-- of the patient's first attended session (day 0), the month the registry's windows are
-- measured from; completeness only once the follow-up window has closed
-- (fct_registry_completeness says which patients are eligible).
with registry as (
    select * from {{ ref('fct_outcome_registry') }}
),

pathway as (
    select * from {{ ref('int_referrals_with_rtt_clock') }}
),

completeness as (
    select * from {{ ref('fct_registry_completeness') }}
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
    {{ indicator_by_month('completeness', 'prop_registry_complete', 'month_seen',
                        numerator='sum(patients_with_pair)',
                        denominator='sum(patients_eligible)') }}
)

select * from final
