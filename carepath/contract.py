"""The canonical extract contract, as data: the columns, types and code sets every site's files
are mapped to, and the order of the pathway stages.

Everything downstream of a site mapping sees only these columns. Types drive parsing at the
door; code sets and stage order are enforced by the Great Expectations suites in `expectations/`.
"""

from __future__ import annotations

from dataclasses import dataclass

EXTRACTS = ("referrals", "sessions", "outcomes")

# Business keys: a later delivery that resends one of these replaces the earlier version.
BUSINESS_KEYS = {
    "referrals": ("site_code", "referral_id"),
    "sessions": ("site_code", "session_id"),
    "outcomes": ("site_code", "measure_id"),
}


# The columns that identify a site, patient, referral, session or measure. They are normalised
# before anything else reads them (carepath.ingest.stage): one id typed two ways is one id.
IDENTIFIER_COLUMNS = ("site_code", "patient_id", "referral_id", "session_id", "measure_id")
# No identifier is longer than this; a longer cell is a spoiled row, not an id.
MAX_IDENTIFIER_LENGTH = 64


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string | code | timestamp | number | integer
    required: bool = False


def _cols(*spec: tuple[str, str, bool]) -> tuple[Column, ...]:
    return tuple(Column(n, t, r) for n, t, r in spec)


COLUMNS: dict[str, tuple[Column, ...]] = {
    "referrals": _cols(
        ("referral_id", "string", True),
        ("patient_id", "string", True),
        ("site_code", "string", True),
        ("referral_source", "code", True),
        ("referral_reason", "code", True),
        ("cancer_type", "code", False),
        ("neurotoxic_agent", "code", False),
        ("priority", "code", True),
        ("target_service", "code", True),
        ("referred_at", "timestamp", True),
        ("received_at", "timestamp", False),
        ("triaged_at", "timestamp", False),
        ("triage_decision", "code", False),
        ("first_offered_at", "timestamp", False),
        ("first_seen_at", "timestamp", False),
        ("programme_type", "code", False),
        ("planned_sessions_per_week", "number", False),
        ("planned_weeks", "integer", False),
        ("planned_minutes_per_session", "integer", False),
        ("discharged_at", "timestamp", False),
        ("discharge_reason", "code", False),
    ),
    "sessions": _cols(
        ("session_id", "string", True),
        ("referral_id", "string", True),
        ("patient_id", "string", True),
        ("site_code", "string", True),
        ("session_kind", "code", True),
        ("scheduled_at", "timestamp", True),
        ("status", "code", True),
        ("delivered_minutes", "integer", False),
        ("mode", "code", False),
        ("discipline", "code", False),
    ),
    "outcomes": _cols(
        ("measure_id", "string", True),
        ("referral_id", "string", True),
        ("patient_id", "string", True),
        ("site_code", "string", True),
        ("instrument", "code", True),
        ("assessed_at", "timestamp", True),
        ("value", "number", False),
        ("item_responses", "string", False),
    ),
}

CODE_SETS: dict[str, tuple[str, ...]] = {
    "referral_source": (
        "medical_oncology", "surgical_oncology", "radiotherapy", "haematology", "primary_care",
        "other",
    ),
    "referral_reason": (
        "cipn", "neuropathic_pain_surgery", "neuropathic_pain_radiotherapy", "deconditioning",
        "falls_risk", "other",
    ),
    "cancer_type": (
        "breast", "colorectal", "lung", "lymphoma", "myeloma", "ovarian", "gastric", "cervical",
        "other",
    ),
    "neurotoxic_agent": (
        "taxane", "platinum", "vinca_alkaloid", "bortezomib", "thalidomide", "none", "unknown",
    ),
    "priority": ("urgent", "routine"),
    "target_service": ("physiotherapy", "occupational_therapy", "pain_service",
                       "exercise_oncology"),
    "triage_decision": ("accepted", "declined", "redirected"),
    "programme_type": ("balance", "strength", "sensory", "aerobic", "yoga", "stretching",
                       "combined"),
    "discharge_reason": (
        "completed", "patient_withdrew", "clinical_deterioration", "died", "transferred",
        "lost_to_follow_up",
    ),
    "session_kind": ("assessment", "treatment", "review", "group_class"),
    "status": ("attended", "cancelled_by_patient", "cancelled_by_service", "did_not_attend"),
    "mode": ("in_person", "telehealth", "home_supervised"),
    "discipline": (
        "physiotherapist", "occupational_therapist", "pain_specialist", "exercise_physiologist",
    ),
    "instrument": (
        "fact_gog_ntx", "eortc_cipn20", "pain_nrs", "tug", "grip_strength", "single_leg_stance",
    ),
}

# Stage order that must hold where both are present (contract: referrals).
STAGE_ORDER = (
    "referred_at", "received_at", "triaged_at", "first_offered_at", "first_seen_at",
    "discharged_at",
)


def column_names(extract: str) -> list[str]:
    return [c.name for c in COLUMNS[extract]]
