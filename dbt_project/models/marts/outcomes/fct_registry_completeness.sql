-- Grain: site x month of first attended session (day 0). Registry completeness: of the patients
-- seen whose 12-week follow-up window has closed by the as-of date, the share with a baseline
-- and follow-up pair on at least one instrument, and the share with a baseline only. Deaths
-- before the window opens leave the denominator and are counted on their own.
with pathway as (
    select
        site_code,
        referral_id,
        first_seen_date,
        discharge_reason,
        discharged_date
    from {{ ref('int_referrals_with_rtt_clock') }}
    where first_seen_date is not null
),

as_of as (
    select * from {{ ref('int_census_dates_generated') }}
    where is_as_of_date
),

registry as (
    select * from {{ ref('fct_outcome_registry') }}
),

registry_by_referral as (
    select
        site_code,
        referral_id,
        max(case when has_pair then 1 else 0 end) as has_pair,
        max(case when baseline_value is not null then 1 else 0 end) as has_baseline
    from registry
    group by site_code, referral_id
),

closed_windows as (
    select
        pathway.site_code,
        pathway.referral_id,
        cast({{ dbt.date_trunc('month', 'pathway.first_seen_date') }} as date) as month_seen,
        coalesce(
            pathway.discharge_reason = 'died'
            and {{ days_between('pathway.first_seen_date', 'pathway.discharged_date') }}
            < {{ var('followup_window_start_day') }},
            false
        ) as died_before_followup,
        coalesce(registry_by_referral.has_pair, 0) as has_pair,
        coalesce(registry_by_referral.has_baseline, 0) as has_baseline
    from pathway
    cross join as_of
    left join registry_by_referral
        on
            pathway.site_code = registry_by_referral.site_code
            and pathway.referral_id = registry_by_referral.referral_id
    where
        {{ days_between('pathway.first_seen_date', 'as_of.census_date') }}
        > {{ var('followup_window_end_day') }}
),

patients as (
    select
        site_code,
        month_seen,
        case when died_before_followup then 0 else 1 end as is_eligible,
        case when died_before_followup then 1 else 0 end as is_excluded_death,
        case when not died_before_followup and has_pair = 1 then 1 else 0 end as is_paired,
        case when not died_before_followup and has_baseline = 1 and has_pair = 0 then 1 else 0 end
            as is_baseline_only
    from closed_windows
),

by_month as (
    select
        site_code,
        month_seen,
        cast(sum(is_eligible) as bigint) as patients_eligible,
        cast(sum(is_excluded_death) as bigint) as patients_died_before_followup,
        cast(sum(is_paired) as bigint) as patients_with_pair,
        cast(sum(is_baseline_only) as bigint) as patients_baseline_only
    from patients
    group by site_code, month_seen
),

final as (
    select
        site_code,
        month_seen,
        patients_eligible,
        patients_died_before_followup,
        patients_with_pair,
        patients_baseline_only,
        {{ proportion('patients_with_pair', 'patients_eligible') }} as prop_eligible_with_pair,
        {{ proportion('patients_baseline_only', 'patients_eligible') }}
            as prop_eligible_baseline_only
    from by_month
)

select * from final
