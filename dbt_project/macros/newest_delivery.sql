{#- The current version of each record: the row from the newest delivery per business key
    (a later delivery that resends a record replaces it). Older versions stay in the source. -#}
{% macro newest_delivery(relation, business_key) -%}
select *
from (
    select
        *,
        row_number() over (
            partition by {{ business_key | join(', ') }}
            order by _delivery_id desc, _line_number desc
        ) as version_rank
    from {{ relation }}
) as versions
where version_rank = 1
{%- endmacro %}
