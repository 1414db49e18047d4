-- Rows still held in quarantine per delivered file and failed rule (a row failing two rules
-- counts under each; a row released once its referral arrived no longer counts).
select
    q.site_code,
    q.extract,
    q.delivery_id,
    q.source_file,
    q.rule,
    q.rule_description,
    count(*) as rows_quarantined
from {{ ref('stg_quarantine') }} as q
where not q.is_released
group by q.site_code, q.extract, q.delivery_id, q.source_file, q.rule, q.rule_description
