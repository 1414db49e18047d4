{#- Seed rows on Spark as literals. dbt-spark's session method pastes each value between quotes
    unescaped, so a seed text with an apostrophe ("the priority's target") breaks the insert
    and an empty cell arrives as the text 'None'. This replaces its spark__load_csv_rows
    (dispatch looks in the root project first) with escaped literals and real nulls. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {%- for row in chunk %}
            (
                {%- for col_name in agate_table.column_names -%}
                    {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                    cast({{ carepath.spark_literal(row[loop.index0]) }}
                        as {{ column_override.get(col_name, inferred_type) }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%}
            ){%- if not loop.last %},{% endif -%}
            {%- endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first %}{% do statements.append(sql) %}{% endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}

{#- A Python value as a Spark SQL literal: text in quotes with its backslashes and quotes
    escaped (Spark reads backslash escapes in literals). -#}
{% macro spark_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is sameas true or value is sameas false -%}
        {{ 'true' if value else 'false' }}
    {%- elif value is number -%}
        {{ value }}
    {%- else -%}
        '{{ (value | string).replace("\\", "\\\\").replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}
