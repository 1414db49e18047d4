-- Grain: site x month of first attended session (day 0). Registry completeness (metrics spec 3):
-- of the patients seen whose 12-week follow-up window has closed by the as-of date, the share
-- with a baseline and follow-up pair on at least one instrument, and the share with a baseline
-- only. Deaths before the window opens leave the denominator and are counted on their own.
with pathway as (
    select
        site_code,
        referral_id,
        first_seen_date,
        discharge_reason,
        discharged_date
    from {{ ref('int_referral_pathway') }}
    where first_seen_date is not null
),

as_of as (
    select census_date as as_of_date from {{ ref('int_census_dates') }} where is_as_of_date
),

registry as (
    select
        site_code,
        referral_id,
        max(case when has_pair then 1 else 0 end) as has_pair,
        max(case when baseline_value is not null then 1 else 0 end) as has_baseline
    from {{ ref('fct_outcome_registry') }}
    group by site_code, referral_id
),

closed_windows as (
    select
        p.site_code,
        p.referral_id,
        cast({{ dbt.date_trunc('month', 'p.first_seen_date') }} as date) as month_seen,
        coalesce(
            p.discharge_reason = 'died'
            and {{ days_between('p.first_seen_date', 'p.discharged_date') }}
                < {{ var('followup_window_start_day') }},
            false
        ) as died_before_followup,
        coalesce(r.has_pair, 0) as has_pair,
        coalesce(r.has_baseline, 0) as has_baseline
    from pathway as p
    cross join as_of as a
    left join registry as r
        on p.site_code = r.site_code and p.referral_id = r.referral_id
    where {{ days_between('p.first_seen_date', 'a.as_of_date') }}
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
)

select
    site_code,
    month_seen,
    sum(is_eligible) as patients_eligible,
    sum(is_excluded_death) as patients_died_before_followup,
    sum(is_paired) as patients_with_pair,
    sum(is_baseline_only) as patients_baseline_only,
    cast(sum(is_paired) as {{ type_double() }}) / nullif(sum(is_eligible), 0) as completeness,
    cast(sum(is_baseline_only) as {{ type_double() }}) / nullif(sum(is_eligible), 0)
        as baseline_only_rate
from patients
group by site_code, month_seen
