{#- A number rounded to a whole, halves away from zero (12.5 -> 13). DuckDB's and Spark's
    round() do this; PostgreSQL's round() on a double rounds halves to even (12.5 -> 12), its
    round() on a numeric away from zero. -#}
{% macro round_half_away_from_zero(value) -%}
    {{ return(adapter.dispatch('round_half_away_from_zero', 'carepath')(value)) }}
{%- endmacro %}

{% macro default__round_half_away_from_zero(value) -%}
    round({{ value }})
{%- endmacro %}

{% macro postgres__round_half_away_from_zero(value) -%}
    cast(round(cast({{ value }} as numeric)) as {{ type_double() }})
{%- endmacro %}
