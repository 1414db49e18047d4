-- The outcome registry: one row per referral x instrument measured, for referrals seen. The
-- pairs are chosen in int_outcome_measures_paired_to_referrals (incremental); the mart
-- publishes them without the build's watermark.
with pairs as (
    select * from {{ ref('int_outcome_measures_paired_to_referrals') }}
),

final as (
    select
        site_code,
        referral_id,
        instrument,
        baseline_measure_id,
        baseline_day,
        baseline_value,
        followup_measure_id,
        followup_day,
        followup_value,
        has_pair,
        change, -- noqa: RF04
        improvement,
        mcid,
        is_responder
    from pairs
)

select * from final
