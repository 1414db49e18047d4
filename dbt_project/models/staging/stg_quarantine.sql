with quarantine as (
    select * from {{ source('ops', 'quarantine') }}
),

final as (
    select
        delivery_id,
        source_file,
        line_number,
        site_code,
        extract,
        rule,
        rule_description,
        quarantined_at,
        released_at,
        -- Held only for a referral that had not arrived, and released into raw when it did.
        released_at is not null as is_released
    from quarantine
)

select * from final
