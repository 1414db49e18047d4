-- Grain: one finding (qi_bottleneck_findings_explained), with the evidence in words: the one
-- place a finding is put into sentences. What the site's figure was, what it is judged
-- against, and the context: for a pathway stage, its share of the site's access wait; for the
-- access wait and the waiting list, demand against capacity. A site's own users see the
-- comparison without the other sites' figure (evidence_own_site): a pooled figure of the
-- others, with few sites, would be theirs.
with findings as (
    select * from {{ ref('qi_bottleneck_findings_explained') }}
),

worded as (
    select
        *,
        site_code || ' ' || indicator_label || ': '
        || {{ format_indicator_value('finding_value', 'indicator_unit') }}
        || case when finding_kind = 'spc_concern' then ' on average' else ' overall' end
        || ' in ' || {{ format_month('period_start') }}
        || case
            when period_end > period_start then ' to ' || {{ format_month('period_end') }}
            else ''
        end as headline,
        case
            when finding_kind = 'spc_concern'
                then
                    ', against '
                    || {{ format_indicator_value('baseline_value', 'indicator_unit') }}
                    || ' in its other months; special cause of concern since '
                    || {{ format_month('period_start') }}
            else
                ', against '
                || {{ format_indicator_value('baseline_value', 'indicator_unit') }}
                || ' at the other sites; beyond the 99.8% limit they set'
        end as comparison,
        case
            when share_of_access_wait is not null
                then
                    '; '
                    || cast(
                        cast(100 * share_of_access_wait as decimal(18, 0))
                        as {{ dbt.type_string() }}
                    )
                    || '% of its access wait'
            else ''
        end
        || case
            when
                indicator_id in (
                    'waiting_list_month_end', 'access_wait_median_days',
                    'stage_offer_to_first_seen_median_days'
                )
                and referrals_received is not null
                then
                    '; demand '
                    || {{ format_indicator_value('referrals_received', "'count'") }}
                    || ' a month against '
                    || {{ format_indicator_value('coalesce(first_appointments, 0)', "'count'") }}
                    || ' first appointments'
            else ''
        end as context
    from findings
),

final as (
    select
        site_code,
        indicator_id,
        indicator_label,
        indicator_unit,
        finding_kind,
        period_start,
        period_end,
        months_flagged,
        finding_value,
        baseline_value,
        effect_size,
        score,
        referrals_received,
        first_appointments,
        share_of_access_wait,
        explained_by_indicator_id,
        headline,
        comparison,
        context,
        headline || comparison || context as evidence,
        headline
        || case
            when finding_kind = 'spc_concern' then comparison
            else '; beyond the 99.8% limit the other sites set'
        end
        || context as evidence_own_site
    from worded
)

select * from final
