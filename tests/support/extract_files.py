"""Write small extract files for tests, in the canonical layout unless told otherwise."""

from __future__ import annotations

import csv
from pathlib import Path

from carepath.contract import column_names

REFERRAL = {
    "referral_id": "T-R1", "patient_id": "PAT0000001", "site_code": "ASH",
    "referral_source": "medical_oncology", "referral_reason": "cipn", "cancer_type": "breast",
    "neurotoxic_agent": "taxane", "priority": "routine", "target_service": "physiotherapy",
    "referred_at": "2026-03-02T09:00:00", "received_at": "2026-03-03T10:00:00",
    "triaged_at": "2026-03-05T11:00:00", "triage_decision": "accepted",
    "first_offered_at": "2026-03-06T09:00:00", "first_seen_at": "2026-03-20T09:30:00",
    "programme_type": "balance", "planned_sessions_per_week": "2", "planned_weeks": "10",
    "planned_minutes_per_session": "45", "discharged_at": "", "discharge_reason": "",
}
SESSION = {
    "session_id": "T-R1-S001", "referral_id": "T-R1", "patient_id": "PAT0000001",
    "site_code": "ASH", "session_kind": "treatment", "scheduled_at": "2026-03-24T09:30:00",
    "status": "attended", "delivered_minutes": "45", "mode": "in_person",
    "discipline": "physiotherapist",
}
OUTCOME = {
    "measure_id": "T-M1", "referral_id": "T-R1", "patient_id": "PAT0000001", "site_code": "ASH",
    "instrument": "tug", "assessed_at": "2026-03-20T10:00:00", "value": "11.5",
    "item_responses": "",
}
TEMPLATES = {"referrals": REFERRAL, "sessions": SESSION, "outcomes": OUTCOME}


def write_rows(landing: Path, site: str, extract: str, name: str, rows: list[dict],
               columns: list[str] | None = None) -> Path:
    """Rows are overrides of the extract's template row; `columns` changes the header."""
    path = landing / site / extract / name
    path.parent.mkdir(parents=True, exist_ok=True)
    header = columns or column_names(extract)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for overrides in rows:
            row = {**TEMPLATES[extract], **overrides}
            writer.writerow([row.get(c, "") for c in header])
    return path
