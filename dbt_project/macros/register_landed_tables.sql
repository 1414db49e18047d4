{#- Make the loader's tables (raw extracts, ledger, quarantine) visible to the build, run before
    every build (on-run-start). They are already in the warehouse on DuckDB and PostgreSQL, so
    there is nothing to do. Spark reads them from the Parquet copies `carepath export-parquet`
    writes, one file per table under $CAREPATH_PARQUET_DIR/<schema>/<table>.parquet, declared
    as external tables (dropping one leaves its file). -#}
{% macro register_landed_tables() -%}
    {{ return(adapter.dispatch('register_landed_tables', 'carepath')()) }}
{%- endmacro %}

{% macro default__register_landed_tables() -%}
    {{ return('') }}
{%- endmacro %}

{% macro spark__register_landed_tables() -%}
    {%- set parquet_dir = env_var('CAREPATH_PARQUET_DIR') -%}
    {%- set tables = {'raw': ['referrals', 'sessions', 'outcomes'],
                      'ops': ['loaded_files', 'quarantine']} -%}
    {%- for schema, names in tables.items() -%}
        {%- do run_query('create schema if not exists ' ~ schema) -%}
        {%- for name in names -%}
            {%- do run_query('drop table if exists ' ~ schema ~ '.' ~ name) -%}
            {%- do run_query('create table ' ~ schema ~ '.' ~ name ~ " using parquet location '"
                             ~ parquet_dir ~ '/' ~ schema ~ '/' ~ name ~ ".parquet'") -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}
