{#- A double-precision float. dbt.type_float() renders `float`, which is single precision on
    DuckDB: rates and scores would lose digits there but not on Postgres. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'carepath')()) }}
{%- endmacro %}

{% macro default__type_double() -%}double precision{%- endmacro %}
{% macro bigquery__type_double() -%}float64{%- endmacro %}
{% macro spark__type_double() -%}double{%- endmacro %}
