-- Grain: one row per site, and one row for the whole network (is_network_total, site_code null).
-- The headline figures: each is defined once, here. The network row comes from the same
-- referrals, sessions and measures by the same rule (grouping sets), never from the site rows:
-- a median of medians, or a mean of proportions, would be a different number.
with latency as (
    select * from {{ ref('fct_referral_latency') }}
),

adherence as (
    select * from {{ ref('fct_adherence') }}
),

registry as (
    select * from {{ ref('fct_outcome_registry') }}
),

waiting_now as (
    select * from {{ ref('fct_waiting_list') }}
    where is_as_of_date
),

access_by_scope as (
    select
        site_code,
        grouping(site_code) = 1 as is_network_total,
        count(case when received_month is not null then 1 end) as referrals_received,
        count(case when is_seen then 1 end) as referrals_seen,
        count(case when is_within_target then 1 end) as referrals_seen_within_target,
        percentile_cont(0.5) within group (order by days_receipt_to_triage)
            as median_days_receipt_to_triage,
        percentile_cont(0.5) within group (order by days_rtt_wait) as median_days_rtt_wait
    from latency
    group by grouping sets ((site_code), ())
),

adherence_by_scope as (
    -- Sums are cast to bigint so a count has one type on every engine (DuckDB's sum is a
    -- hugeint); sqlfluff's ST06 takes any cast() for a bare column, hence the noqa.
    select  -- noqa: ST06
        site_code,
        grouping(site_code) = 1 as is_network_total,
        cast(sum(sessions_attended) as bigint) as sessions_attended,
        cast(sum(sessions_did_not_attend) as bigint) as sessions_did_not_attend,
        cast(sum(sessions_cancelled_by_patient) as bigint) as sessions_cancelled_by_patient,
        cast(sum(sessions_expected) as bigint) as sessions_expected
    from adherence
    group by grouping sets ((site_code), ())
),

outcomes_by_scope as (
    select
        site_code,
        grouping(site_code) = 1 as is_network_total,
        count(case when is_responder is not null then 1 end) as pairs_assessed,
        count(case when is_responder then 1 end) as pairs_responding
    from registry
    group by grouping sets ((site_code), ())
),

waiting_by_scope as (
    select
        site_code,
        grouping(site_code) = 1 as is_network_total,
        max(census_date) as census_date,
        count(*) as pathways_waiting,
        count(case when is_within_target then 1 end) as pathways_waiting_within_target,
        count(case when is_within_rtt_standard then 1 end)
            as pathways_waiting_within_rtt_standard
    from waiting_now
    group by grouping sets ((site_code), ())
),

joined as (
    select
        access_by_scope.site_code,
        access_by_scope.is_network_total,
        access_by_scope.referrals_received,
        access_by_scope.referrals_seen,
        access_by_scope.referrals_seen_within_target,
        access_by_scope.median_days_receipt_to_triage,
        access_by_scope.median_days_rtt_wait,
        waiting_by_scope.census_date,
        coalesce(adherence_by_scope.sessions_attended, 0) as sessions_attended,
        coalesce(adherence_by_scope.sessions_did_not_attend, 0) as sessions_did_not_attend,
        coalesce(adherence_by_scope.sessions_cancelled_by_patient, 0)
            as sessions_cancelled_by_patient,
        coalesce(adherence_by_scope.sessions_expected, 0) as sessions_expected,
        coalesce(outcomes_by_scope.pairs_assessed, 0) as pairs_assessed,
        coalesce(outcomes_by_scope.pairs_responding, 0) as pairs_responding,
        coalesce(waiting_by_scope.pathways_waiting, 0) as pathways_waiting,
        coalesce(waiting_by_scope.pathways_waiting_within_target, 0)
            as pathways_waiting_within_target,
        coalesce(waiting_by_scope.pathways_waiting_within_rtt_standard, 0)
            as pathways_waiting_within_rtt_standard
    from access_by_scope
    left join adherence_by_scope
        on
            access_by_scope.is_network_total = adherence_by_scope.is_network_total
            and access_by_scope.site_code is not distinct from adherence_by_scope.site_code
    left join outcomes_by_scope
        on
            access_by_scope.is_network_total = outcomes_by_scope.is_network_total
            and access_by_scope.site_code is not distinct from outcomes_by_scope.site_code
    left join waiting_by_scope
        on
            access_by_scope.is_network_total = waiting_by_scope.is_network_total
            and access_by_scope.site_code is not distinct from waiting_by_scope.site_code
),

final as (
    select
        site_code,
        is_network_total,
        referrals_received,
        referrals_seen,
        referrals_seen_within_target,
        {{ proportion('referrals_seen_within_target', 'referrals_seen') }}
            as prop_seen_within_target,
        median_days_receipt_to_triage,
        median_days_rtt_wait,
        sessions_attended,
        sessions_did_not_attend,
        sessions_cancelled_by_patient,
        sessions_expected,
        {{ proportion('sessions_attended', 'sessions_expected') }} as prop_sessions_attended,
        {{ proportion('sessions_did_not_attend', 'sessions_attended + sessions_did_not_attend') }}
            as prop_sessions_did_not_attend,
        pairs_assessed,
        pairs_responding,
        {{ proportion('pairs_responding', 'pairs_assessed') }} as prop_pairs_responding,
        census_date,
        pathways_waiting,
        pathways_waiting_within_target,
        {{ proportion('pathways_waiting_within_target', 'pathways_waiting') }}
            as prop_waiting_within_target,
        pathways_waiting_within_rtt_standard,
        {{ proportion('pathways_waiting_within_rtt_standard', 'pathways_waiting') }}
            as prop_waiting_within_rtt_standard
    from joined
)

select * from final
