{#- A referral's access targets, from the access_targets seed: the row for its priority and
    its target service when the service set one, else its priority's row for every service
    ('all'). A priority the seed does not name gets no target (null) rather than borrowing
    another's. join_access_targets(referral) adds the two lookups to a query's joins;
    access_target(column) reads a target column through them. -#}
{% macro join_access_targets(referral) -%}
left join {{ ref('access_targets') }} as service_targets
    on
        {{ referral }}.priority = service_targets.priority
        and {{ referral }}.target_service = service_targets.target_service
left join {{ ref('access_targets') }} as priority_targets
    on
        {{ referral }}.priority = priority_targets.priority
        and priority_targets.target_service = 'all'
{%- endmacro %}

{% macro access_target(column) -%}
    coalesce(service_targets.{{ column }}, priority_targets.{{ column }})
{%- endmacro %}
