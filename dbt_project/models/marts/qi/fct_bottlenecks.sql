-- Grain: one finding: a site, an indicator and a period in which the site's care broke down,
-- ranked by how far it departs from what the site usually does. The findings, their sizes,
-- explanations and words are the QI steps' (steps/qi_concern_episodes_sized,
-- steps/qi_sites_compared_with_others, steps/qi_bottleneck_findings_explained,
-- steps/qi_bottleneck_evidence_worded); this mart ranks them. A finding another explains (a
-- longer access wait that is a stage's consequence) keeps its row and is not ranked.
with findings as (
    select * from {{ ref('qi_bottleneck_evidence_worded') }}
),

final as (
    select
        site_code,
        indicator_id,
        indicator_label,
        finding_kind,
        period_start,
        period_end,
        months_flagged,
        finding_value,
        baseline_value,
        effect_size,
        score,
        explained_by_indicator_id,
        share_of_access_wait,
        referrals_received,
        first_appointments,
        evidence,
        evidence_own_site,
        case
            when explained_by_indicator_id is null
                then row_number() over (
                    partition by site_code, explained_by_indicator_id is null
                    order by score desc, indicator_id asc, period_start asc
                )
        end as rank_in_site,
        case
            when explained_by_indicator_id is null
                then row_number() over (
                    partition by explained_by_indicator_id is null
                    order by score desc, site_code asc, indicator_id asc, period_start asc
                )
        end as rank_overall
    from findings
)

select * from final
