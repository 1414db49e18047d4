{#- One monthly indicator in long form (site_code, is_network_total, indicator_month, indicator_id,
    numerator, denominator, value), for each site and for the network, from the rows of
    `relation` (a CTE) by one rule: grouping sets, so the network row is computed from the
    same rows as the site rows, never from them (a median of medians, or a mean of
    proportions, would be a different number).

    Give `numerator` and `denominator` (aggregates) for a proportion, or `value` (an
    aggregate: a count, a percentile) with `denominator` the rows behind it. -#}
{% macro indicator_by_month(relation, indicator_id, month, value=none, numerator=none,
                          denominator=none, where=none) -%}
    select
        site_code,
        grouping(site_code) = 1 as is_network_total,
        {{ month }} as indicator_month,
        '{{ indicator_id }}' as indicator_id,
        cast({{ numerator if numerator else 'null' }} as bigint) as numerator,
        cast({{ denominator if denominator else 'null' }} as bigint) as denominator,
        cast(
            {{ value if value else proportion(numerator, denominator) }} as {{ type_double() }}
        ) as value
    from {{ relation }}
    where {{ month }} is not null{% if where %} and ({{ where }}){% endif %}
    group by grouping sets (({{ month }}, site_code), ({{ month }}))
{%- endmacro %}
