-- Grain: one finding, a site, an indicator and a period: a sized concern episode
-- (qi_concern_episodes_sized) or a proportion worse than the other sites'
-- (qi_sites_compared_with_others), with the site's months around it (fct_monthly_indicators).
-- A longer access wait (median, 90th percentile, or fewer seen within target) from the months
-- a stage on the RTT clock (receipt to triage, triage to offer, offer to first seen) is flagged
-- at the same site to var bottleneck_consequence_months after them is that stage's
-- consequence, not a bottleneck of its own: it names the stage in explained_by_indicator_id.
-- (Referral to receipt is before the clock.) For a stage, its share of the site's access wait
-- in the same months; for every finding, demand and first appointments a month, which the
-- evidence quotes.
{#- The stages on the RTT clock (referral to receipt is before it). -#}
{%- set clock_stages = "('stage_receipt_to_triage_median_days', "
    ~ "'stage_triage_to_offer_median_days', 'stage_offer_to_first_seen_median_days')" %}
with episodes as (
    select * from {{ ref('qi_concern_episodes_sized') }}
),

comparisons as (
    select * from {{ ref('qi_sites_compared_with_others') }}
),

indicators as (
    select * from {{ ref('fct_monthly_indicators') }}
    where not is_network_total
),

findings as (
    select
        site_code,
        indicator_id,
        indicator_label,
        indicator_unit,
        'spc_concern' as finding_kind,
        period_start,
        period_end,
        months_flagged,
        finding_value,
        baseline_value,
        effect_size,
        score
    from episodes
    where score is not null
    union all
    select
        site_code,
        indicator_id,
        indicator_label,
        'proportion' as indicator_unit,
        'worse_than_other_sites' as finding_kind,
        period_start,
        period_end,
        cast(null as bigint) as months_flagged,
        proportion as finding_value,
        others_proportion as baseline_value,
        abs(z_against_others) as effect_size,
        abs(z_against_others) as score
    from comparisons
    where is_worse_than_others
),

-- The months of each finding, for the context its evidence gives.
finding_months as (
    select
        findings.site_code,
        findings.indicator_id,
        findings.finding_kind,
        findings.period_start,
        avg(case when indicators.indicator_id = 'access_wait_median_days' then indicators.value end)
            as access_wait_median_days,
        avg(case when indicators.indicator_id = findings.indicator_id then indicators.value end)
            as same_indicator_value,
        avg(case when indicators.indicator_id = 'referrals_received' then indicators.value end)
            as referrals_received,
        avg(case when indicators.indicator_id = 'first_appointments' then indicators.value end)
            as first_appointments
    from findings
    inner join indicators
        on
            findings.site_code = indicators.site_code
            and indicators.indicator_month between findings.period_start and findings.period_end
    group by findings.site_code, findings.indicator_id, findings.finding_kind, findings.period_start
),

described as (
    select
        findings.site_code,
        findings.indicator_id,
        findings.indicator_label,
        findings.indicator_unit,
        findings.finding_kind,
        findings.period_start,
        findings.period_end,
        findings.months_flagged,
        findings.finding_value,
        findings.baseline_value,
        findings.effect_size,
        findings.score,
        finding_months.referrals_received,
        finding_months.first_appointments,
        case
            when
                findings.indicator_id in {{ clock_stages }}
                then
                    finding_months.same_indicator_value
                    / nullif(finding_months.access_wait_median_days, 0)
        end as share_of_access_wait
    from findings
    left join finding_months
        on
            findings.site_code = finding_months.site_code
            and findings.indicator_id = finding_months.indicator_id
            and findings.finding_kind = finding_months.finding_kind
            and findings.period_start = finding_months.period_start
),

stage_findings as (
    select * from described
    where
        finding_kind = 'spc_concern'
        and indicator_id in {{ clock_stages }}
),

explanations as (
    select
        consequence.site_code,
        consequence.indicator_id,
        consequence.period_start,
        cause.indicator_id as cause_indicator_id,
        row_number() over (
            partition by consequence.site_code, consequence.indicator_id, consequence.period_start
            order by cause.score desc, cause.indicator_id asc
        ) as cause_rank
    from described as consequence
    inner join stage_findings as cause
        on
            consequence.site_code = cause.site_code
            and consequence.period_end >= cause.period_start
            and consequence.period_start <= {{ dbt.dateadd(
                'month', var('bottleneck_consequence_months'), 'cause.period_end'
            ) }}
    where
        consequence.finding_kind = 'spc_concern'
        and consequence.indicator_id in (
            'access_wait_median_days', 'access_wait_p90_days', 'prop_seen_within_target'
        )
),

explained as (
    select
        described.*,
        explanations.cause_indicator_id as explained_by_indicator_id
    from described
    left join explanations
        on
            described.site_code = explanations.site_code
            and described.indicator_id = explanations.indicator_id
            and described.period_start = explanations.period_start
            and described.finding_kind = 'spc_concern'
            and explanations.cause_rank = 1
),

final as (
    select * from explained
)

select * from final
