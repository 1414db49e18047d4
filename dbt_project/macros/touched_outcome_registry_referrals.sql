{#- The referrals whose outcome registry rows an incremental build must recompute: those whose
    first seen date may have moved (macro referrals_touched_since) and those whose outcome
    measures changed (macro outcome_referrals_touched_since). -#}
{% macro touched_outcome_registry_referrals(watermark) -%}
{{ referrals_touched_since(watermark) }}

union

{{ outcome_referrals_touched_since(watermark) }}
{%- endmacro %}
