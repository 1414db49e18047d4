{#- The materialization of the models that rebuild only the keys new rows touched. They delete
    the touched keys' old rows before inserting (delete+insert, or append after the pre-hook
    delete_touched_keys), which Spark cannot do to plain Parquet tables: there they rebuild in
    full on every build (a table format that can delete, such as Delta Lake, would allow
    incremental builds again). -#}
{% macro incremental_materialization() -%}
    {{ return(adapter.dispatch('incremental_materialization', 'carepath')()) }}
{%- endmacro %}

{% macro default__incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__incremental_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
