{#- An indicator's value as the evidence text writes it: a proportion as a whole percentage,
    days to one decimal, a count whole. Decimal casts round portably (round() on a double
    is not PostgreSQL's). -#}
{% macro format_indicator_value(value, unit) -%}
    case {{ unit }}
        when 'proportion'
            then cast(cast(100 * {{ value }} as decimal(18, 0)) as {{ dbt.type_string() }}) || '%'
        when 'days'
            then cast(cast({{ value }} as decimal(18, 1)) as {{ dbt.type_string() }}) || ' days'
        else cast(cast({{ value }} as decimal(18, 0)) as {{ dbt.type_string() }})
    end
{%- endmacro %}

{#- A month as YYYY-MM. -#}
{% macro format_month(month) -%}
    substring(cast({{ month }} as {{ dbt.type_string() }}), 1, 7)
{%- endmacro %}
