{#- The access target in days for a referral's priority (dbt vars target_days_<priority>).
    A priority without a configured target gets null rather than silently borrowing another's. -#}
{% macro access_target_days(priority) -%}
    case {{ priority }}
        when 'urgent' then {{ var('target_days_urgent') }}
        when 'routine' then {{ var('target_days_routine') }}
    end
{%- endmacro %}
