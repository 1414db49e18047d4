{#- The response at `position` (1-based, a column) in a ';'-separated item string, as an integer;
    null when the item was left blank. Adapters differ on split_part with a non-literal part
    number, so the position is matched against literals and dbt.split_part does the splitting. -#}
{% macro item_response(item_string, position, max_items=40) -%}
    cast(nullif(trim(case {{ position }}
    {%- for i in range(1, max_items + 1) %}
        when {{ i }} then {{ dbt.split_part(item_string, "';'", i) }}
    {%- endfor %}
    end), '') as {{ dbt.type_int() }})
{%- endmacro %}
