{#- Whole calendar days from a to b: date_b - date_a on the dates alone, so the same day is 0
    whatever the times, and null when either is missing. Portable through dbt's cross-database
    datediff, and a bigint on every engine (DuckDB's datediff is one, PostgreSQL's an integer). -#}
{% macro days_between(a, b) -%}
    cast({{ dbt.datediff("cast(" ~ a ~ " as date)", "cast(" ~ b ~ " as date)", "day") }}
        as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- Working days (Monday to Friday) after a up to and including b: receipt on a Friday and
    triage on the Monday is 1, the same day 0; bank holidays are not known and count as working
    days. Counted as the weekdays from a fixed Monday (1900-01-01) to each date, so it needs
    only whole-day arithmetic, which every engine does alike; null when either is missing. -#}
{% macro working_days_between(a, b) -%}
    ({{ _weekdays_through(b) }} - {{ _weekdays_through(a) }})
{%- endmacro %}

{% macro _weekdays_through(day) -%}
    {%- set offset = days_between("cast('1900-01-01' as date)", day) ~ " + 1" -%}
    (5 * floor(({{ offset }}) / 7) + least(({{ offset }}) - 7 * floor(({{ offset }}) / 7), 5))
{%- endmacro %}
