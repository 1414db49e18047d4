-- Rows still held in quarantine per delivered file and failed rule (a row failing two rules
-- counts under each; a row released once its referral arrived no longer counts).
with quarantine as (
    select * from {{ ref('stg_quarantine') }}
    where not is_released
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
    from quarantine
    group by site_code, extract, delivery_id, source_file, rule, rule_description
)

select * from final
