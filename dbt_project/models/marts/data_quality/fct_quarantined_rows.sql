-- The rows still held in quarantine, each with the file and line it came from and the rule it
-- failed (a row failing two rules is listed under each): what a data manager fixes at the
-- site. No value of the row is published, only where it is and why it is held.
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
        line_number,
        rule,
        rule_description,
        quarantined_at
    from quarantine
)

select * from final
