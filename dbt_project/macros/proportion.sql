{#- The one way a proportion is computed: numerator over denominator as a double, null (not an
    error, not zero) when the denominator is zero. Columns it fills are named prop_<what>. -#}
{% macro proportion(numerator, denominator) -%}
    cast({{ numerator }} as {{ type_double() }}) / nullif({{ denominator }}, 0)
{%- endmacro %}
