{#- Whole calendar days from a to b (same day = 0), null when either is missing: metrics spec
    "a latency in days is date_b - date_a". Portable through dbt's cross-database datediff. -#}
{% macro days_between(a, b) -%}
    {{ dbt.datediff("cast(" ~ a ~ " as date)", "cast(" ~ b ~ " as date)", "day") }}
{%- endmacro %}
