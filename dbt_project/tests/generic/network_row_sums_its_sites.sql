{#- A tile and the table beside it never disagree: on a network row, every count equals the
    sum of the site rows (of the same `by` columns, when the network has a row for each).
    Returns the network rows where any count does not. -#}
{% test network_row_sums_its_sites(model, columns, by=[]) %}
with network as (
    select * from {{ model }}
    where is_network_total
),

sites as (
    select
        {%- for column in by %}
        {{ column }},
        {%- endfor %}
        {%- for column in columns %}
        sum({{ column }}) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }}
    where not is_network_total
    {%- if by %}
    group by {{ by | join(', ') }}
    {%- endif %}
)

select network.*
from network
{%- if by %}
left join sites
    on
    {%- for column in by %}
        network.{{ column }} is not distinct from sites.{{ column }}{{ " and" if not loop.last }}
    {%- endfor %}
{%- else %}
cross join sites
{%- endif %}
where
    {%- for column in columns %}
    coalesce(network.{{ column }}, 0) <> coalesce(sites.{{ column }}, 0){{ " or" if not loop.last }}
    {%- endfor %}
{% endtest %}
