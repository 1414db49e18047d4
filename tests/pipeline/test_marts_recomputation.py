"""The metric marts agree with an independent plain-Python recomputation (recompute_marts.py)
written from the models' yml definitions, not from the dbt SQL.

Raw and intermediate tables are read from the warehouse, the marts from the published copy the
dashboard reads. Each test compares one model: same keys, every column equal (floats within
1e-9, dates as dates, booleans exactly, nulls as None).

Two data sets:
- the generated demo (conftest's pipeline_run);
- the same plus hand-made referrals inserted into raw.* and rebuilt, reaching the branches the
  generator never does (first seen known only from sessions, silent dropouts, ties in the
  registry windows, waits beyond 18 weeks, ...).
"""

from __future__ import annotations

import math
import shutil
from datetime import date, datetime, timedelta

import duckdb
import pytest
from support.recompute_marts import (
    GRAINS,
    recompute_from_warehouse,
)

from carepath.pipeline import run_pipeline
from carepath.settings import load_settings

SHOW = 8  # differing rows shown per column in a failure message
SCORE_COLUMNS = ["score", "scored_value", "is_reported_value_disagreeing"]
MODELS = list(GRAINS)


# --- reading and comparing ---------------------------------------------------------------------

def _read_table(path, table: str) -> tuple[list[str], list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        cur = con.execute(f"select * from {table}")
        names = [d[0] for d in cur.description]
        return names, cur.fetchall()
    finally:
        con.close()


def _model_rows(settings, model: str) -> tuple[list[str], dict[tuple, dict]]:
    """intermediate.* from the warehouse, marts.* from the published copy."""
    if model.startswith("int_"):
        names, rows = _read_table(settings.warehouse_path, f"intermediate.{model}")
    else:
        names, rows = _read_table(settings.published_path, f"marts.{model}")
    keyed = {}
    for row in rows:
        record = dict(zip(names, row, strict=True))
        keyed[tuple(record[c] for c in GRAINS[model])] = record
    return names, keyed


def values_equal(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, datetime) or isinstance(b, datetime):
        return a == b
    if isinstance(a, date) or isinstance(b, date):
        return isinstance(a, date) and isinstance(b, date) and a == b
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def compare(model: str, expected_rows: dict, actual_names: list[str], actual_rows: dict,
            columns: list[str] | None = None) -> list[str]:
    """Readable differences between the recomputation and the model (empty = they agree)."""
    grain = GRAINS[model]
    problems = []
    missing = sorted(set(expected_rows) - set(actual_rows), key=repr)
    extra = sorted(set(actual_rows) - set(expected_rows), key=repr)
    if missing:
        problems.append(f"{len(missing)} keys recomputed but absent from {model}: "
                        f"{missing[:SHOW]}")
    if extra:
        problems.append(f"{len(extra)} keys in {model} but not recomputed: {extra[:SHOW]}")
    if columns is None:
        # Every column of the mart must be recomputed: nothing is skipped silently.
        columns = [c for c in actual_names if c not in grain]
        some = next(iter(expected_rows.values()), {})
        uncovered = [c for c in columns if c not in some]
        if expected_rows and uncovered:
            problems.append(f"columns of {model} not recomputed: {uncovered}")
            columns = [c for c in columns if c in some]
    diffs: dict[str, list] = {}
    for key in sorted(set(expected_rows) & set(actual_rows), key=repr):
        for col in columns:
            want, got = expected_rows[key][col], actual_rows[key][col]
            if not values_equal(want, got):
                diffs.setdefault(col, []).append((key, want, got))
    for col, rows in diffs.items():
        sample = "; ".join(f"{dict(zip(grain, k, strict=True))}: recomputed={w!r} model={g!r}"
                           for k, w, g in rows[:SHOW])
        problems.append(f"{model}.{col} differs on {len(rows)} rows, e.g. {sample}")
    return problems


def _check(settings, expected: dict, model: str) -> None:
    names, actual = _model_rows(settings, model)
    assert actual, f"{model} is empty: nothing to compare"
    columns = SCORE_COLUMNS if model == "int_outcomes_scored" else None
    problems = compare(model, expected[model], names, actual, columns)
    assert not problems, "\n".join(problems)


# --- the generated data set --------------------------------------------------------------------

@pytest.fixture(scope="module")
def expected(pipeline_run):
    settings, _ = pipeline_run
    return recompute_from_warehouse(settings)


def test_generated_data_set_is_not_trivial(expected):
    """Agreement means something only if the data reaches the definitions' branches."""
    latency = expected["fct_referral_latency"].values()
    adherence = expected["fct_adherence"].values()
    scores = expected["_context"]["scores"].values()
    registry = expected["fct_outcome_registry"].values()
    completeness = expected["fct_registry_completeness"].values()
    checks = {
        "restarted clocks among seen referrals":
            sum(1 for r in latency if r["is_clock_restarted"] and r["is_seen"]),
        "restarted clocks on the waiting list":
            sum(1 for r in expected["fct_waiting_list"].values() if r["is_clock_restarted"]),
        "patient-initiated delays": sum(1 for r in latency if r["patient_initiated_delay_days"]),
        "service cancellations while waiting":
            sum(1 for r in latency if r["service_cancellations_while_waiting"]),
        "seen outside target": sum(1 for r in latency if r["is_within_target"] is False),
        "census dates": len(expected["_context"]["census_dates"]) > 1,
        "interruptions": sum(1 for r in adherence if r["interruptions"]),
        "dropouts": sum(1 for r in adherence if r["is_dropout"]),
        "completed programmes": sum(1 for r in adherence if r["is_completed"]),
        "programmes ended below target":
            sum(1 for r in adherence if r["programme_status"] == "ended_below_target"),
        "item-level scores": sum(1 for s in scores if s["scored_value"] is not None),
        "item-level measures left unscored":
            sum(1 for s in scores if s["_outcome"]["item_responses"] and s["scored_value"] is None),
        "disagreeing questionnaire totals":
            sum(1 for s in scores if s["is_reported_value_disagreeing"]),
        "registry pairs": sum(1 for r in registry if r["has_pair"]),
        "responders": sum(1 for r in registry if r["is_responder"]),
        "non-responders": sum(1 for r in registry if r["is_responder"] is False),
        "closed-window patients": sum(r["patients_eligible"] for r in completeness),
        "deaths before the follow-up window":
            sum(r["patients_died_before_followup"] for r in completeness),
    }
    absent = [name for name, n in checks.items() if not n]
    assert not absent, f"the generated data set has none of: {absent}"
    statuses = {r["pathway_status"] for r in latency}
    assert {"seen", "waiting", "declined", "redirected", "discharged_dna"} <= statuses, statuses


@pytest.mark.parametrize("model", MODELS)
def test_model_agrees_with_recomputation(pipeline_run, expected, model):
    settings, _ = pipeline_run
    _check(settings, expected, model)


# --- hand-made edge cases ----------------------------------------------------------------------
# Dates are written against an as-of date of 2026-10-31 (the generated extracts' newest date)
# and shifted with it, so the edges stay at the same distance from it.

ANCHOR = date(2026, 10, 31)
EDGE_DELIVERY = 900_000


class EdgeCases:
    def __init__(self, site: str, shift: timedelta):
        self.site, self.shift = site, shift
        self.referrals, self.sessions, self.outcomes, self.resent = [], [], [], []

    def ts(self, text: str | None) -> datetime | None:
        return None if text is None else datetime.fromisoformat(text) + self.shift

    def referral(self, rid, *, received="2026-06-01 09:00", seen=None, priority="routine",
                 triaged="auto", offered="auto", spw=None, weeks=None, minutes=None,
                 discharged=None, reason=None, decision="accepted", target=None,
                 referred=None):
        rec = self.ts(received)
        first = rec or self.ts(seen) or self.ts(referred) + timedelta(days=1)
        row = {
            "referral_id": rid, "patient_key": "edge-" + rid, "site_code": self.site,
            "referral_source": "medical_oncology", "referral_reason": "cipn",
            "cancer_type": "breast", "neurotoxic_agent": "taxane", "priority": priority,
            "target_service": "physiotherapy", "referred_at": first - timedelta(days=1),
            "received_at": rec,
            "triaged_at": (rec and rec + timedelta(hours=4)) if triaged == "auto" else None,
            "triage_decision": decision if rec else None,
            "first_offered_at": (rec and rec + timedelta(days=1)) if offered == "auto" else None,
            "first_seen_at": self.ts(seen), "programme_type": "balance" if spw else None,
            "planned_sessions_per_week": spw, "planned_weeks": weeks,
            "planned_minutes_per_session": minutes,
            "discharged_at": self.ts(discharged), "discharge_reason": reason,
        }
        (target if target is not None else self.referrals).append(row)

    def session_list(self, rid, specs):
        """specs: (when, kind, status[, delivered minutes])."""
        for i, spec in enumerate(specs, start=1):
            when, kind, status = spec[:3]
            minutes = spec[3] if len(spec) > 3 else (45 if status == "attended" else None)
            self.sessions.append({
                "session_id": f"{rid}-S{i:03d}", "referral_id": rid,
                "patient_key": "edge-" + rid, "site_code": self.site, "session_kind": kind,
                "scheduled_at": self.ts(when), "status": status, "delivered_minutes": minutes,
                "mode": "in_person", "discipline": "physiotherapist"})

    def outcome(self, rid, mid, instrument, when, value, items=None):
        self.outcomes.append({
            "measure_id": f"{rid}-{mid}", "referral_id": rid, "patient_key": "edge-" + rid,
            "site_code": self.site, "instrument": instrument, "assessed_at": self.ts(when),
            "value": value, "item_responses": items})


def every(start: str, n: int, step: int, kind="treatment", status="attended"):
    first = datetime.fromisoformat(start)
    return [((first + timedelta(days=step * i)).isoformat(sep=" "), kind, status)
            for i in range(n)]


def build_edge_cases(e: EdgeCases) -> None:
    r, s, o = e.referral, e.session_list, e.outcome
    # Clock: first seen known only from sessions, after a first-appointment DNA (restart);
    # then a silent dropout (rule b) with a 2 x 6 programme.
    r("EDGE-01", received="2026-06-01 09:00", spw=2.0, weeks=6, minutes=45)
    s("EDGE-01", [("2026-06-10 09:00", "assessment", "did_not_attend"),
                  ("2026-06-17 09:00", "assessment", "attended", 60)]
      + every("2026-06-20 10:00", 7, 3))
    # Silence of exactly 28 days to the as-of date (a dropout), and of 27 (not one).
    r("EDGE-02", received="2026-08-20 09:00", seen="2026-09-01 09:00", spw=3.0, weeks=8,
      minutes=30)
    s("EDGE-02", [("2026-09-01 09:00", "assessment", "attended"),
                  ("2026-09-05 09:00", "treatment", "attended"),
                  ("2026-09-10 09:00", "treatment", "attended"),
                  ("2026-10-03 09:00", "treatment", "attended")])
    r("EDGE-03", received="2026-08-20 09:00", seen="2026-09-01 09:00", spw=3.0, weeks=10,
      minutes=30)
    s("EDGE-03", [("2026-09-01 09:00", "assessment", "attended"),
                  ("2026-10-04 09:00", "treatment", "attended")])
    # Registry windows (day 0 = 06-15): several baselines, same-day and same-instant ties,
    # a follow-up tie (days 79 and 89), window bounds -30/-31, 69/99.
    r("EDGE-04", received="2026-06-01 09:00", seen="2026-06-15 09:00")
    s("EDGE-04", [("2026-06-15 09:00", "assessment", "attended")])
    for mid, inst, when, value in (
            ("P1", "pain_nrs", "2026-06-10 09:00", 6.0),
            ("P3", "pain_nrs", "2026-06-15 08:00", 7.0),
            ("P2", "pain_nrs", "2026-06-15 14:00", 5.0),
            ("P4", "pain_nrs", "2026-06-18 09:00", 4.0),
            ("P5", "pain_nrs", "2026-09-02 09:00", 3.0),
            ("P6", "pain_nrs", "2026-09-12 09:00", 2.0),
            ("T2", "tug", "2026-06-15 10:00", 12.0),
            ("T1", "tug", "2026-06-15 10:00", 11.0),
            ("T3", "tug", "2026-09-07 10:00", 9.0),
            ("G1", "grip_strength", "2026-06-20 09:00", 20.0),
            ("G2", "grip_strength", "2026-06-17 09:00", 21.0),
            ("G3", "grip_strength", "2026-08-23 09:00", 25.0),
            ("G4", "grip_strength", "2026-09-22 09:00", 26.0),
            ("L2", "single_leg_stance", "2026-09-07 16:00", 8.0),
            ("L1", "single_leg_stance", "2026-09-07 11:00", 7.0),
            ("L3", "single_leg_stance", "2026-05-16 11:00", 3.0),
            ("L4", "single_leg_stance", "2026-05-15 11:00", 2.0)):
        o("EDGE-04", mid, inst, when, value)
    # Only outside both windows (no baseline, no follow-up); baseline at day 7, follow-ups at
    # days 70 and 98.
    r("EDGE-05", received="2026-05-20 09:00", seen="2026-06-01 09:00")
    s("EDGE-05", [("2026-06-01 09:00", "assessment", "attended")])
    o("EDGE-05", "P1", "pain_nrs", "2026-06-20 09:00", 5.0)
    o("EDGE-05", "G1", "grip_strength", "2026-06-08 09:00", 20.0)
    o("EDGE-05", "G2", "grip_strength", "2026-08-10 09:00", 26.0)
    o("EDGE-05", "G3", "grip_strength", "2026-09-07 09:00", 27.0)
    # Waiting beyond 126 days (prescribed 2.5 x 5 = 12.5 -> 13 sessions); an unseen waiter
    # whose first appointment was a DNA, then a patient cancellation with no later booking.
    r("EDGE-06", received="2026-05-02 09:00", spw=2.5, weeks=5, minutes=40)
    r("EDGE-07", received="2026-05-04 09:00", priority="urgent")
    s("EDGE-07", [("2026-07-01 09:00", "assessment", "did_not_attend"),
                  ("2026-07-08 09:00", "assessment", "cancelled_by_patient")])
    # A DNA after an explicit first seen date, and one before receipt: no restart.
    r("EDGE-08", received="2026-06-20 09:00", seen="2026-07-01 09:00")
    s("EDGE-08", [("2026-07-05 09:00", "assessment", "did_not_attend"),
                  ("2026-07-08 09:00", "treatment", "attended")])
    r("EDGE-21", received="2026-06-10 09:00", seen="2026-06-20 09:00")
    s("EDGE-21", [("2026-06-08 09:00", "assessment", "did_not_attend"),
                  ("2026-06-20 09:00", "assessment", "attended")])
    # A DNA then an attendance the same day (restart, wait 0); two sessions at one instant.
    r("EDGE-22", received="2026-06-10 09:00")
    s("EDGE-22", [("2026-06-20 09:00", "assessment", "did_not_attend"),
                  ("2026-06-20 15:00", "assessment", "attended")])
    r("EDGE-23", received="2026-06-10 09:00")
    s("EDGE-23", [("2026-06-20 09:00", "assessment", "attended"),
                  ("2026-06-20 09:00", "assessment", "did_not_attend"),
                  ("2026-06-25 09:00", "treatment", "attended")])
    # Patient cancellations in a row, a same-day re-booking, service cancellations; and
    # cancellations before and after a restarted clock.
    r("EDGE-09", received="2026-08-01 09:00")
    s("EDGE-09", [("2026-08-10 09:00", "assessment", "cancelled_by_patient"),
                  ("2026-08-15 09:00", "assessment", "cancelled_by_patient"),
                  ("2026-08-20 09:00", "assessment", "cancelled_by_service"),
                  ("2026-08-22 09:00", "assessment", "cancelled_by_patient"),
                  ("2026-08-22 15:00", "assessment", "cancelled_by_service"),
                  ("2026-08-25 09:00", "assessment", "attended")])
    r("EDGE-24", received="2026-06-01 09:00")
    s("EDGE-24", [("2026-06-05 09:00", "assessment", "cancelled_by_patient"),
                  ("2026-06-10 09:00", "assessment", "did_not_attend"),
                  ("2026-06-12 09:00", "assessment", "cancelled_by_patient"),
                  ("2026-06-16 09:00", "assessment", "cancelled_by_service"),
                  ("2026-06-20 09:00", "assessment", "attended")])
    # Interruptions: a service cancellation inside a run, a review between two DNAs, a run at
    # the end; an attended session without minutes.
    r("EDGE-10", received="2026-06-01 09:00", seen="2026-06-05 09:00", spw=2.5, weeks=5,
      minutes=40)
    s("EDGE-10", [("2026-06-05 09:00", "assessment", "attended"),
                  ("2026-06-08 09:00", "treatment", "did_not_attend"),
                  ("2026-06-10 09:00", "group_class", "did_not_attend"),
                  ("2026-06-12 09:00", "treatment", "cancelled_by_service"),
                  ("2026-06-15 09:00", "treatment", "cancelled_by_patient"),
                  ("2026-06-17 09:00", "treatment", "attended", None),
                  ("2026-06-19 09:00", "treatment", "did_not_attend"),
                  ("2026-06-20 09:00", "review", "did_not_attend"),
                  ("2026-06-22 09:00", "treatment", "did_not_attend"),
                  ("2026-06-24 09:00", "treatment", "attended", 35),
                  ("2026-06-26 09:00", "treatment", "did_not_attend"),
                  ("2026-06-29 09:00", "group_class", "cancelled_by_patient"),
                  ("2026-07-01 09:00", "treatment", "did_not_attend")])
    # Questionnaire scoring: too few items answered (with and without a reported total),
    # prorating, blank trailing items, a disagreeing total.
    r("EDGE-11", received="2026-06-01 09:00", seen="2026-06-03 09:00")
    s("EDGE-11", [("2026-06-03 09:00", "assessment", "attended")])
    o("EDGE-11", "F1", "fact_gog_ntx", "2026-06-01 09:00", 20.0, "1;2;;3;;1;;2;;;")
    o("EDGE-11", "F2", "fact_gog_ntx", "2026-06-02 09:00", None, "1;2;;3;;1;;2;;;0")
    o("EDGE-11", "F3", "fact_gog_ntx", "2026-06-02 10:00", 27.5, "1;2;;3;;1;;2;;;4")
    o("EDGE-11", "F4", "fact_gog_ntx", "2026-08-26 10:00", 30.0, "0;0;0;1;1;1;0;0;1;1;")
    o("EDGE-11", "C1", "eortc_cipn20", "2026-06-02 09:00", 33.33,
      "2;2;2;2;;;3;3;2;;3;3;3;3;3;2;2;;;")
    o("EDGE-11", "C2", "eortc_cipn20", "2026-08-26 09:00", 10.0,
      "1;2;;;;;1;1;;;1;1;1;1;1;1;1;2;1;1")
    o("EDGE-11", "C3", "eortc_cipn20", "2026-08-27 09:00", 11.11,
      "1;2;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1")
    # Programme endings: discharged early; discharged as completed before the planned end;
    # discharged on the planned end; prescribed but never seen (open, and withdrawn).
    r("EDGE-12", received="2026-06-01 09:00", seen="2026-06-03 09:00", spw=2.0, weeks=10,
      minutes=30, discharged="2026-06-20 09:00", reason="clinical_deterioration")
    s("EDGE-12", [("2026-06-03 09:00", "assessment", "attended")] + every("2026-06-05 09:00", 4, 3))
    r("EDGE-13", received="2026-06-01 09:00", seen="2026-06-03 09:00", spw=2.0, weeks=2,
      minutes=30, discharged="2026-06-12 09:00", reason="completed")
    s("EDGE-13", [("2026-06-03 09:00", "assessment", "attended")] + every("2026-06-04 09:00", 3, 2))
    r("EDGE-27", received="2026-06-01 09:00", seen="2026-06-03 09:00", spw=2.0, weeks=2,
      minutes=30, discharged="2026-06-17 09:00", reason="transferred")
    s("EDGE-27", every("2026-06-04 09:00", 4, 3))
    r("EDGE-14", received="2026-07-01 09:00", spw=3.0, weeks=6, minutes=30)
    r("EDGE-15", received="2026-07-01 09:00", spw=3.0, weeks=6, minutes=30,
      discharged="2026-08-01 09:00", reason="patient_withdrew")
    # Dropout rule (a) and (b) against attendance, all with a 2 x 2 programme (planned end
    # 06-17 or 09-15): fewer sessions attended than planned, and all of them attended.
    for rid, n, disch, why in (("EDGE-33", 4, "2026-06-16 12:00", "lost_to_follow_up"),
                               ("EDGE-34", 3, "2026-06-30 09:00", "lost_to_follow_up"),
                               ("EDGE-35", 3, "2026-06-17 09:00", "patient_withdrew"),
                               ("EDGE-36", 4, "2026-06-16 09:00", "patient_withdrew"),
                               ("EDGE-37", 5, "2026-07-30 09:00", "patient_withdrew"),
                               ("EDGE-38", 2, "2026-07-30 09:00", "patient_withdrew")):
        r(rid, received="2026-06-01 09:00", seen="2026-06-03 09:00", spw=2.0, weeks=2,
          minutes=30, discharged=disch, reason=why)
        s(rid, every("2026-06-04 09:00", n, 3))
    for rid, n in (("EDGE-40", 4), ("EDGE-41", 3)):
        r(rid, received="2026-08-25 09:00", seen="2026-09-01 09:00", spw=2.0, weeks=2,
          minutes=30)
        s(rid, every("2026-09-02 09:00", n, 2))
    # Deaths: before day 70 (leaves the denominator), on days 69 and 70, after day 70;
    # follow-up windows closing 98 days (open) and 99 days (closed) before the as-of date.
    for rid, seen, disch, why in (("EDGE-16", "2026-06-01 09:00", "2026-07-15 09:00", "died"),
                                  ("EDGE-17", "2026-06-01 09:00", "2026-08-20 09:00", "died"),
                                  ("EDGE-31", "2026-06-10 09:00", "2026-08-18 09:00", "died"),
                                  ("EDGE-32", "2026-06-10 09:00", "2026-08-19 09:00", "died"),
                                  ("EDGE-29", "2026-07-25 09:00", None, None),
                                  ("EDGE-30", "2026-07-24 09:00", None, None)):
        r(rid, received="2026-05-25 09:00", seen=seen, discharged=disch, reason=why)
        o(rid, "P1", "pain_nrs", seen, 6.0)
    # Discharged after a DNA with a later cancellation (discharged_dna); an unscored measure.
    r("EDGE-25", received="2026-06-01 09:00", discharged="2026-07-15 09:00",
      reason="lost_to_follow_up")
    s("EDGE-25", [("2026-06-10 09:00", "assessment", "cancelled_by_patient"),
                  ("2026-06-20 09:00", "assessment", "did_not_attend"),
                  ("2026-06-25 09:00", "assessment", "did_not_attend"),
                  ("2026-07-01 09:00", "assessment", "cancelled_by_service")])
    r("EDGE-26", received="2026-06-01 09:00", seen="2026-06-03 09:00")
    o("EDGE-26", "P1", "pain_nrs", "2026-06-02 09:00", None)
    # Seen with no receipt date (no RTT wait); received in a month with no other receipt.
    r("EDGE-18", received=None, seen="2026-07-10 09:00", triaged=None, offered=None)
    r("EDGE-19", received="2026-03-15 09:00", seen="2026-05-20 09:00")
    # Referred, never received (not_received): no clock, never waiting.
    r("EDGE-43", received=None, seen=None, triaged=None, offered=None,
      referred="2026-10-20 09:00")
    # Resent: the older delivery was seen; the newer one (higher _delivery_id) wins.
    r("EDGE-20", received="2026-06-01 09:00", seen="2026-06-10 09:00", target=e.resent)
    r("EDGE-20", received="2026-06-01 09:00", priority="urgent", target=e.resent)


def insert_edge_cases(con, e: EdgeCases) -> None:
    loaded = datetime.now().replace(microsecond=0)
    batches = (("referrals", e.resent[:1], EDGE_DELIVERY - 1),
               ("referrals", e.referrals, EDGE_DELIVERY),
               ("sessions", e.sessions, EDGE_DELIVERY + 1),
               ("outcomes", e.outcomes, EDGE_DELIVERY + 2),
               ("referrals", e.resent[1:], EDGE_DELIVERY + 3))
    for table, rows, delivery in batches:
        for line, row in enumerate(rows, start=2):
            full = {"_delivery_id": delivery, "_source_file": f"{e.site}/{table}/edge_cases.csv",
                    "_line_number": line, **row, "_loaded_at": loaded}
            con.execute(f"insert into raw.{table} ({', '.join(full)}) "
                        f"values ({', '.join('?' for _ in full)})", list(full.values()))


@pytest.fixture(scope="module")
def edge_run(pipeline_run, expected, tmp_path_factory):
    """The generated data plus the hand-made edge cases, rebuilt and published."""
    settings, _ = pipeline_run
    edge = load_settings(tmp_path_factory.mktemp("edge_cases") / "data")
    shutil.copytree(settings.data_dir, edge.data_dir, ignore=shutil.ignore_patterns("dbt"))
    site = min(k[0] for k in expected["fct_referral_latency"])
    cases = EdgeCases(site, expected["_context"]["as_of_date"] - ANCHOR)
    build_edge_cases(cases)
    con = duckdb.connect(str(edge.warehouse_path))
    try:
        insert_edge_cases(con, cases)
    finally:
        con.close()
    summary = run_pipeline(edge, force_build=True)
    assert summary.ok, summary.render()
    return edge, recompute_from_warehouse(edge), expected["_context"]["as_of_date"]


def test_edge_cases_reach_the_branches(edge_run):
    """Guards the edge cases themselves: each reaches the branch it was written for."""
    _, exp, generated_as_of = edge_run
    ctx = exp["_context"]
    latency = {k[1]: r for k, r in exp["fct_referral_latency"].items()}
    adherence = {k[1]: r for k, r in exp["fct_adherence"].items()}
    registry = {(k[1], k[2]): r for k, r in exp["fct_outcome_registry"].items()}
    pathways = {k[1]: p for k, p in ctx["pathways"].items()}
    assert ctx["as_of_date"] == generated_as_of  # the edges leave the as-of date alone
    assert pathways["EDGE-01"]["first_seen_at"] is None
    assert latency["EDGE-01"]["is_seen"] and latency["EDGE-01"]["is_clock_restarted"]
    assert adherence["EDGE-01"]["is_dropout"] and adherence["EDGE-01"]["discharged_date"] is None
    assert adherence["EDGE-02"]["is_dropout"] and not adherence["EDGE-03"]["is_dropout"]
    assert latency["EDGE-09"]["patient_initiated_delay_days"] == 10
    assert adherence["EDGE-10"]["interruptions"] == 2
    assert adherence["EDGE-06"]["planned_sessions"] == 13
    assert registry[("EDGE-04", "grip_strength")]["baseline_day"] == 2
    assert registry[("EDGE-04", "pain_nrs")]["followup_day"] == 79
    assert registry[("EDGE-05", "pain_nrs")]["baseline_value"] is None
    assert any(not r["is_within_rtt_standard"] for r in exp["fct_waiting_list"].values())
    assert any(c.month == 3 for c in ctx["census_dates"])
    assert latency["EDGE-20"]["priority"] == "urgent"
    assert {"not_received", "discharged_unseen", "discharged_dna"} <= {
        r["pathway_status"] for r in latency.values()}
    assert not adherence["EDGE-36"]["is_dropout"] and adherence["EDGE-35"]["is_dropout"]


@pytest.mark.parametrize("model", MODELS)
def test_model_agrees_with_recomputation_on_edge_cases(edge_run, model):
    edge, exp, _ = edge_run
    _check(edge, exp, model)
