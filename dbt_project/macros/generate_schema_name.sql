{#- Use the configured schema name as is (marts, staging, ...) rather than dbt's default of
    prefixing it with the target schema, so the dashboard and analysts find `marts.*`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
