{#- The referrals an incremental build must recompute: those whose current referral row, or
    one of whose current sessions, was loaded after `watermark` (macro incremental_watermark;
    none touches every referral). A corrected session may have moved to another referral, so
    the referral of every version of a changed session counts, taken from the source, which
    keeps them all: the referral it left is recomputed as well as the one it joined.
    Every version of a changed record was already read by its staging model, so a late, older
    version that does not win changes nothing downstream and touches nothing here. -#}
{% macro referrals_touched_since(watermark) -%}
select
    referrals.site_code,
    referrals.referral_id
from {{ ref('stg_referrals') }} as referrals
where {{ after_watermark('referrals.loaded_at', watermark) }}

union

select
    session_versions.site_code,
    session_versions.referral_id
from {{ source('raw', 'sessions') }} as session_versions
inner join {{ ref('stg_sessions') }} as changed_sessions
    on
        session_versions.site_code = changed_sessions.site_code
        and session_versions.session_id = changed_sessions.session_id
where {{ after_watermark('changed_sessions.loaded_at', watermark) }}
{%- endmacro %}
