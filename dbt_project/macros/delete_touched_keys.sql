{#- A pre-hook for an incremental model in which a recomputed key may come out with no rows at
    all: a measure whose correction drops its items has no scales left, a referral whose only
    measure was corrected onto another has no registry rows left. dbt's delete+insert deletes
    only the keys that the new rows bring, which would leave such a key's old rows behind; so
    these models delete every row of the keys they recompute (`touched_sql` selects `keys`)
    and append what the keys have now. A full build deletes nothing. -#}
{% macro delete_touched_keys(keys, touched_sql) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where ({{ keys | join(', ') }}) in (
            {{ touched_sql }}
        )
    {%- endif -%}
{%- endmacro %}
