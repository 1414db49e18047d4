{#- Every loaded file reconciles: rows in the file = rows loaded + rows quarantined. -#}
{% test rows_reconcile(model) %}
select * from {{ model }}
where status = 'loaded' and rows_in_file <> rows_loaded + rows_quarantined
{% endtest %}
