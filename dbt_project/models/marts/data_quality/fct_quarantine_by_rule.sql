-- Rows still held in quarantine per delivered file and failed rule (a row failing two rules
-- counts under each; a row released once its referral arrived no longer counts): the count of
-- fct_quarantined_rows' rows.
with quarantined_rows as (
    select * from {{ ref('fct_quarantined_rows') }}
),

final as (
    select
        site_code,
        extract,
        delivery_id,
        source_file,
        rule,
        rule_description,
        count(*) as rows_quarantined
    from quarantined_rows
    group by site_code, extract, delivery_id, source_file, rule, rule_description
)

select * from final
