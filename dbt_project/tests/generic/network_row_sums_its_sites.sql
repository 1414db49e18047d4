{#- A tile and the table beside it never disagree: on the network row, every count equals the
    sum of the site rows. Returns the network row when any count does not. -#}
{% test network_row_sums_its_sites(model, columns) %}
with network as (
    select * from {{ model }}
    where is_network_total
),

sites as (
    select
        {%- for column in columns %}
        sum({{ column }}) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }}
    where not is_network_total
)

select network.*
from network
cross join sites
where
    {%- for column in columns %}
    coalesce(network.{{ column }}, 0) <> coalesce(sites.{{ column }}, 0){{ " or" if not loop.last }}
    {%- endfor %}
{% endtest %}
