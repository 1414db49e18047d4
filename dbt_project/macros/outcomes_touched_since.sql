{#- The outcome measures an incremental build must rescore: those whose current version was
    loaded after `watermark` (macro incremental_watermark): new, resent, corrected or released
    from quarantine. A late, older version that does not win leaves stg_outcomes as it was and
    touches nothing. -#}
{% macro outcome_measures_touched_since(watermark) -%}
select
    site_code,
    measure_id
from {{ ref('stg_outcomes') }}
where {{ after_watermark('loaded_at', watermark) }}
{%- endmacro %}

{#- The referrals whose registry rows an incremental build must recompute because of their
    outcome measures: the referral of every version of a measure whose current version was
    loaded after `watermark`. A measure corrected onto another referral leaves the first one
    as well as joining the second, so both are recomputed (as macro referrals_touched_since
    does for sessions). -#}
{% macro outcome_referrals_touched_since(watermark) -%}
select
    measure_versions.site_code,
    measure_versions.referral_id
from {{ source('raw', 'outcomes') }} as measure_versions
inner join {{ ref('stg_outcomes') }} as changed_measures
    on
        measure_versions.site_code = changed_measures.site_code
        and measure_versions.measure_id = changed_measures.measure_id
where {{ after_watermark('changed_measures.loaded_at', watermark) }}
{%- endmacro %}
