{#- Whole calendar days from a to b: date_b - date_a on the dates alone, so the same day is 0
    whatever the times, and null when either is missing. Portable through dbt's cross-database
    datediff, and a bigint on every engine (DuckDB's datediff is one, PostgreSQL's an integer). -#}
{% macro days_between(a, b) -%}
    cast({{ dbt.datediff("cast(" ~ a ~ " as date)", "cast(" ~ b ~ " as date)", "day") }}
        as {{ dbt.type_bigint() }})
{%- endmacro %}
