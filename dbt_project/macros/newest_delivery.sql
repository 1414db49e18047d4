{#- The current version of each record: the row from the newest delivery per business key (a
    later delivery that resends a record replaces it). Older versions stay in the source.
    Deliveries are compared part by part as typed values (macro newest_delivery_first), never
    as one joined string, so the same files give the same current version whatever order they
    arrived in. Within a file a business key appears once (the gate quarantines repeats). The
    ledger id breaks a tie only where rows carry no delivery order (rows written into raw by
    hand), so that even then the current version is one and the same on every build, full or
    incremental. -#}
{% macro newest_delivery(relation, business_key) -%}
select *
from (
    select
        *,
        row_number() over (
            partition by {{ business_key | join(', ') }}
            order by {{ newest_delivery_first() }}
        ) as version_rank
    from {{ relation }}
) as versions
where version_rank = 1
{%- endmacro %}

{#- A raw row's delivery, newest first: the delivery date its file name carries, then the month
    it covers, then its version (1 when the name gives none), then its arrival, then its path
    in byte order; a part the name does not carry sorts as the oldest. The loader writes these
    lineage columns (carepath.ingest.delivery_order, whose NEWEST_FIRST is the same order). -#}
{% macro newest_delivery_first() -%}
    _delivered_on desc nulls last,
    _data_period desc nulls last,
    _delivery_version desc nulls last,
    _arrived_at desc nulls last,
    {{ byte_order('_source_file') }} desc nulls last,
    _delivery_id desc,
    _line_number desc
{%- endmacro %}

{#- Text compared byte by byte: DuckDB and Spark compare strings that way already; PostgreSQL
    follows the database's collation unless told. -#}
{% macro byte_order(expression) -%}
    {{ return(adapter.dispatch('byte_order', 'carepath')(expression)) }}
{%- endmacro %}

{% macro default__byte_order(expression) -%}
    {{ expression }}
{%- endmacro %}

{% macro postgres__byte_order(expression) -%}
    {{ expression }} collate "C"
{%- endmacro %}
