{#- A composite-key uniqueness test without a package dependency (dbt deps needs the network
    to a package hub, which a fresh site machine may not have). -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
