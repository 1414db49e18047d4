{#- Whole rows, not just the column: a failure is traced to its records (site, key, file). -#}
{% test non_negative(model, column_name) %}
select * from {{ model }} where {{ column_name }} < 0
{% endtest %}
