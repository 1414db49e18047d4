-- Quarantined rows per delivered file and failed rule (a row failing two rules counts under
-- each).
select
    q.site_code,
    q.extract,
    q.delivery_id,
    q.source_file,
    q.rule,
    q.rule_description,
    count(*) as rows_quarantined
from {{ ref('stg_quarantine') }} as q
group by q.site_code, q.extract, q.delivery_id, q.source_file, q.rule, q.rule_description
