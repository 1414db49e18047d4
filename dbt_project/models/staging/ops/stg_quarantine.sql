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
        -- The reason no longer holds: the referral it lacked has arrived (the row itself went
        -- to raw if no other reason held it).
        released_at is not null as is_released
    from quarantine
)

select * from final
