{#- The current version of each record: the row from the newest delivery per business key (a
    later delivery that resends a record replaces it). Older versions stay in the source.
    Deliveries are ordered by `_delivery_order_key`, which the loader builds from the delivery's
    own date, the period and version its file name carries, its arrival time and its path, so
    that the same files give the same current version whatever order they arrived in. Within a
    file a business key appears once (the gate quarantines repeats). The ledger id breaks a tie
    only where rows carry no order key (rows written into raw by hand), so that even then the
    current version is one and the same on every build, full or incremental. -#}
{% macro newest_delivery(relation, business_key) -%}
select *
from (
    select
        *,
        row_number() over (
            partition by {{ business_key | join(', ') }}
            order by _delivery_order_key desc, _delivery_id desc, _line_number desc
        ) as version_rank
    from {{ relation }}
) as versions
where version_rank = 1
{%- endmacro %}
