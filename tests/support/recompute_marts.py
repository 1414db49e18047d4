"""An independent, plain-Python recomputation of carepath's metric marts.

Written from the column definitions in dbt_project/models/**/*.yml, the vars in
dbt_project.yml and the seeds, never from the dbt SQL, so that agreement between the two is
evidence that both implement the written definitions. Standard library only.

Entry points:
    load_vars(project_dir), load_seeds(project_dir), fetch_raw(con)  -> the inputs
    recompute(raw, seeds, dbt_vars)                                   -> {mart: {key: {col: value}}}
    recompute_from_warehouse(settings)                     -> the same, from a data folder

Each mart is a dict keyed by its grain (a tuple) whose values are dicts of the mart's other
columns. Dates are datetime.date, counts int, rates float, flags bool, missing values None.
recompute() also returns "_context" (as-of date, census dates, pathways, delays, scores): not
a mart, for the tests' checks that the data reach the definitions' branches.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

from support.recompute_indicators import funnel, monthly_indicators, spc_points, spc_summary

RAW_TABLES = ("referrals", "sessions", "outcomes")

# Business keys of the raw tables: the newest delivery of a key is its current version.
BUSINESS_KEYS = {
    "referrals": ("site_code", "referral_id"),
    "sessions": ("site_code", "session_id"),
    "outcomes": ("site_code", "measure_id"),
}

# Grain of every recomputed model (the dict keys of its result).
GRAINS = {
    "fct_referral_latency": ("site_code", "referral_id"),
    "fct_waiting_list": ("census_date", "site_code", "referral_id"),
    "fct_waiting_list_monthly": ("census_date", "site_code", "priority"),
    "fct_access_monthly": ("site_code", "month_completed", "priority"),
    "fct_stage_latency_monthly": ("site_code", "received_month"),
    "fct_site_performance": ("is_network_total", "site_code"),
    "fct_adherence": ("site_code", "referral_id"),
    "fct_outcome_registry": ("site_code", "referral_id", "instrument"),
    "fct_registry_completeness": ("site_code", "month_seen"),
    "fct_scored_questionnaires": ("site_code", "measure_id"),
    "int_outcomes_scored": ("site_code", "measure_id"),
    "fct_monthly_indicators": ("indicator_id", "indicator_month", "is_network_total", "site_code"),
    "fct_spc_points": ("indicator_id", "indicator_month", "is_network_total", "site_code"),
    "fct_spc_summary": ("indicator_id", "is_network_total", "site_code"),
    "fct_funnel": ("indicator_id", "site_code"),
    "fct_waiting_list_wait_bands": ("census_date", "site_code", "priority", "wait_band_weeks"),
    "fct_adherence_by_programme": ("site_code", "programme_type"),
    "fct_outcome_change_by_instrument": ("site_code", "instrument"),
}

PROGRAMME_KINDS = ("treatment", "group_class")
MISSED = ("did_not_attend", "cancelled_by_patient")
APPOINTMENT = ("attended", "did_not_attend")  # took place as booked (cancellations re-book)
DROPOUT_DISCHARGE_REASONS = ("patient_withdrew", "lost_to_follow_up")


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------

def load_vars(project_dir: Path) -> dict:
    with (Path(project_dir) / "dbt_project.yml").open(encoding="utf-8") as fh:
        return dict(yaml.safe_load(fh)["vars"])


def _parse_seed_value(text: str):
    """Seed CSV cells: booleans, numbers, blanks as None, otherwise the string."""
    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def load_seeds(project_dir: Path) -> dict[str, list[dict]]:
    seeds = {}
    for name in ("access_targets", "instruments", "questionnaire_items", "questionnaire_scales",
                 "qi_indicators"):
        with (Path(project_dir) / "seeds" / f"{name}.csv").open(newline="", encoding="utf-8") as fh:
            seeds[name] = [{k: _parse_seed_value(v) for k, v in row.items()}
                           for row in csv.DictReader(fh)]
    return seeds


def fetch_raw(con) -> dict[str, list[dict]]:
    """Every delivered row of the raw tables, as dicts (the only SQL used: select *)."""
    raw = {}
    for table in RAW_TABLES:
        cur = con.execute(f"select * from raw.{table}")
        names = [d[0] for d in cur.description]
        raw[table] = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    return raw


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

def as_date(ts) -> date | None:
    """The calendar date of a timestamp (all events are local dates)."""
    if ts is None:
        return None
    return ts.date() if isinstance(ts, datetime) else ts


def days_between(a: date | None, b: date | None) -> int | None:
    """Whole calendar days b - a; null when either is missing."""
    if a is None or b is None:
        return None
    return (b - a).days


def month_start(d: date | None) -> date | None:
    return None if d is None else d.replace(day=1)


def month_end(d: date) -> date:
    first_of_next = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first_of_next - timedelta(days=1)


def round_half_away_from_zero(x: float) -> float:
    """SQL round(): halves go away from zero (Python's round() goes to even)."""
    return math.copysign(math.floor(abs(x) + 0.5), x)


def percentile_linear(values, p: float) -> float | None:
    """Hyndman-Fan type 7 (numpy's default): linear between order statistics."""
    xs = sorted(v for v in values if v is not None)
    if not xs:
        return None
    h = (len(xs) - 1) * p
    lo = math.floor(h)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


def ratio(numerator, denominator) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def mean_of_flags(flags) -> float | None:
    """Average of 1.0/0.0 flags, nulls ignored."""
    xs = [1.0 if f else 0.0 for f in flags if f is not None]
    return sum(xs) / len(xs) if xs else None


def delivery_order(row: dict) -> tuple:
    """Where a raw row's delivery stands among its site's others, oldest first: the delivery
    date its file name carries, the month it covers, its version (1 when none), its arrival,
    its path in byte order; a part the name does not carry is older than any value of it. The
    ledger id and line break a tie only for rows written by hand, which carry none of these."""
    delivered, period = row["_delivered_on"], row["_data_period"]
    version, arrived, path = row["_delivery_version"], row["_arrived_at"], row["_source_file"]
    return (delivered is not None, delivered or date.min, period is not None, period or "",
            version is not None, version or 0, arrived is not None, arrived or datetime.min,
            path is not None, (path or "").encode(), row["_delivery_id"], row["_line_number"])


def current_versions(rows: list[dict], key: tuple[str, ...]) -> dict[tuple, dict]:
    """Newest delivery wins per business key."""
    best: dict[tuple, dict] = {}
    for row in rows:
        k = tuple(row[c] for c in key)
        old = best.get(k)
        if old is None or delivery_order(row) > delivery_order(old):
            best[k] = row
    return best


def session_order(s: dict):
    return (s["scheduled_at"], s["session_id"])


def access_targets_for(p: dict, targets: list[dict]) -> dict:
    """The access_targets seed row of the referral's priority and target service, else its
    priority's row for all services; no row for a priority the seed does not name."""
    by_key = {(t["priority"], t["target_service"]): t for t in targets}
    return (by_key.get((p["priority"], p["target_service"]))
            or by_key.get((p["priority"], "all")) or {})


def working_days_between(a: date | None, b: date | None) -> int | None:
    """Monday-to-Friday days after a up to and including b (negative when b is before a)."""
    if a is None or b is None:
        return None
    lo, hi, sign = (a, b, 1) if a <= b else (b, a, -1)
    return sign * sum(1 for k in range(1, (hi - lo).days + 1)
                      if (lo + timedelta(days=k)).weekday() < 5)


# --------------------------------------------------------------------------------------------
# Intermediate: the pathway of each referral (int_referrals_with_rtt_clock)
# --------------------------------------------------------------------------------------------

def first_appointment(sessions: list[dict]) -> dict | None:
    """The earliest session that took place as booked (attended or DNA)."""
    took_place = [s for s in sessions if s["status"] in APPOINTMENT]
    return min(took_place, key=session_order) if took_place else None


def last_appointment(sessions: list[dict]) -> dict | None:
    took_place = [s for s in sessions if s["status"] in APPOINTMENT]
    return max(took_place, key=session_order) if took_place else None


def first_seen_date(referral: dict, sessions: list[dict]) -> date | None:
    """The first-contact clock stop: first_seen_at, else the first attended session of any kind."""
    if referral["first_seen_at"] is not None:
        return as_date(referral["first_seen_at"])
    attended = [as_date(s["scheduled_at"]) for s in sessions if s["status"] == "attended"]
    return min(attended) if attended else None


def is_first_appointment_dna(first_appt: dict | None, received: date | None,
                             seen: date | None) -> bool:
    """The first appointment was a DNA on or after receipt and on or before first seen.

    Without a receipt there is no clock to nullify. Without a first seen date the upper bound
    does not apply (the patient is still unseen, the DNA still restarts the clock)."""
    if first_appt is None or first_appt["status"] != "did_not_attend" or received is None:
        return False
    appt = as_date(first_appt["scheduled_at"])
    return appt >= received and (seen is None or appt <= seen)


def pathway_status(p: dict) -> str:
    if p["first_seen_date"] is not None:
        return "seen"
    if p["triage_decision"] in ("declined", "redirected"):
        return p["triage_decision"]
    if p["discharged_date"] is not None:
        if p["last_appointment_status"] == "did_not_attend":
            return "discharged_dna"
        return "discharged_unseen"
    if p["received_date"] is not None:
        return "waiting"
    return "not_received"


def clock_stop_date(p: dict) -> date | None:
    status = p["pathway_status"]
    if status == "seen":
        return p["first_seen_date"]
    if status in ("declined", "redirected"):
        return p["triaged_date"]
    if status in ("waiting", "not_received"):
        return None
    return p["discharged_date"]


def referral_pathways(referrals: dict, sessions_by_referral: dict) -> dict[tuple, dict]:
    pathways = {}
    for key, r in referrals.items():
        sessions = sessions_by_referral.get(key, [])
        p = dict(r)
        for event in ("referred", "received", "triaged", "first_offered", "discharged"):
            p[f"{event}_date"] = as_date(r[f"{event}_at"])
        p["first_seen_date"] = first_seen_date(r, sessions)
        first_appt = first_appointment(sessions)
        p["first_appointment_date"] = first_appt and as_date(first_appt["scheduled_at"])
        p["first_appointment_status"] = first_appt and first_appt["status"]
        p["is_first_appointment_dna"] = is_first_appointment_dna(
            first_appt, p["received_date"], p["first_seen_date"])
        last_appt = last_appointment(sessions)
        p["last_appointment_status"] = last_appt and last_appt["status"]
        p["rtt_clock_start_date"] = (p["first_appointment_date"] if p["is_first_appointment_dna"]
                                     else p["received_date"])
        p["pathway_status"] = pathway_status(p)
        p["clock_stop_date"] = clock_stop_date(p)
        pathways[key] = p
    return pathways


# --------------------------------------------------------------------------------------------
# Intermediate: delays while the RTT clock ran (int_waiting_cancellations_aggregated_to_referrals)
# --------------------------------------------------------------------------------------------

def access_delays(p: dict, sessions: list[dict]) -> dict:
    """Cancellations booked while the clock ran: on/after its start, before its stop.

    A referral without such sessions has none of them: zero counts and zero delay."""
    start, stop = p["rtt_clock_start_date"], p["clock_stop_date"]
    ordered = sorted(sessions, key=session_order)
    patient = service = delay = 0
    if start is not None:
        for i, s in enumerate(ordered):
            booked = as_date(s["scheduled_at"])
            if booked < start or (stop is not None and booked >= stop):
                continue
            if s["status"] == "cancelled_by_patient":
                patient += 1
                # The next booking of any status or kind, wherever it falls.
                if i + 1 < len(ordered):
                    delay += (as_date(ordered[i + 1]["scheduled_at"]) - booked).days
            elif s["status"] == "cancelled_by_service":
                service += 1
    return {"patient_cancellations_while_waiting": patient,
            "patient_initiated_delay_days": delay,
            "service_cancellations_while_waiting": service}


# --------------------------------------------------------------------------------------------
# Intermediate: census dates (int_census_dates_generated)
# --------------------------------------------------------------------------------------------

def as_of_date(pathways: dict, sessions: dict, v: dict) -> date:
    """var census_as_of_date, else the newest event date in the extracts."""
    if v.get("census_as_of_date"):
        fixed = v["census_as_of_date"]
        return fixed if isinstance(fixed, date) else date.fromisoformat(str(fixed))
    events = [p[f"{e}_date"] for p in pathways.values()
              for e in ("referred", "received", "triaged", "first_offered", "first_seen",
                        "discharged")]
    events += [as_date(s["scheduled_at"]) for s in sessions.values()]
    return max(d for d in events if d is not None)


def census_dates(pathways: dict, as_of: date | None) -> dict[date, bool]:
    """Every month end from the first month a referral was received to before the as-of date
    (months without a referral too), plus the as-of date itself; none without an as-of date."""
    if as_of is None:
        return {}
    received = [p["received_date"] for p in pathways.values() if p["received_date"] is not None]
    census = {}
    end = month_end(min(received)) if received else None
    while end is not None and end < as_of:
        census[end] = False
        end = month_end(end + timedelta(days=1))
    census[as_of] = True
    return census


# --------------------------------------------------------------------------------------------
# Intermediate: programme sessions (int_programme_sessions_aggregated_to_referrals)
# --------------------------------------------------------------------------------------------

def interruptions(programme_sessions: list[dict], min_missed: int) -> int:
    """Runs of min_missed+ consecutive missed sessions; service cancellations are skipped."""
    runs = run = 0
    for s in sorted(programme_sessions, key=session_order):
        if s["status"] in MISSED:
            run += 1
        elif s["status"] == "attended":
            runs += run >= min_missed
            run = 0
        # cancelled_by_service: neither ends nor extends the run
    return runs + (run >= min_missed)


def programme_summary(sessions: list[dict], v: dict) -> dict:
    prog = [s for s in sessions if s["session_kind"] in PROGRAMME_KINDS]
    by_status = defaultdict(int)
    for s in prog:
        by_status[s["status"]] += 1
    attended = [s for s in prog if s["status"] == "attended"]
    return {
        "sessions_attended": by_status["attended"],
        "sessions_did_not_attend": by_status["did_not_attend"],
        "sessions_cancelled_by_patient": by_status["cancelled_by_patient"],
        "sessions_cancelled_by_service": by_status["cancelled_by_service"],
        "delivered_minutes": sum(s["delivered_minutes"] or 0 for s in attended),
        "last_attended_date": max((as_date(s["scheduled_at"]) for s in attended), default=None),
        "last_booked_date": max((as_date(s["scheduled_at"]) for s in prog), default=None),
        "interruptions": interruptions(prog, v["interruption_min_missed"]),
    }


# --------------------------------------------------------------------------------------------
# Intermediate: questionnaire scoring
# (int_questionnaire_items_scored_to_scales, int_outcomes_scored)
# --------------------------------------------------------------------------------------------

def parse_item_responses(text: str) -> list[float | None]:
    """Item k is the k-th ';'-separated field; a blank field is unanswered."""
    return [float(f) if f.strip() != "" else None for f in text.split(";")]


def item_score(response: float, item: dict) -> float:
    if item["is_reverse_scored"]:
        return item["item_max"] + item["item_min"] - response
    return response


def scale_score(scores: list[float], item_min: float, item_max: float, scale: dict):
    """The scale's score from its answered item scores, or None below min_items_answered."""
    n = len(scores)
    if n < scale["min_items_answered"] or n == 0:
        return None
    if scale["scoring_method"] == "prorated_sum":
        return sum(scores) * scale["items_in_scale"] / n
    if scale["scoring_method"] == "linear_0_100":
        return (sum(scores) / n - item_min) / (item_max - item_min) * 100
    raise ValueError(f"unknown scoring method {scale['scoring_method']}")


def registry_scale_score(instrument: str, item_responses: str, seeds: dict):
    """(score, items answered) of the instrument's registry scale from its items; the score is
    None when too few were answered."""
    scale = next((s for s in seeds["questionnaire_scales"]
                  if s["instrument"] == instrument and s["is_registry_scale"]), None)
    if scale is None:
        return None, 0
    responses = parse_item_responses(item_responses)
    items = [i for i in seeds["questionnaire_items"]
             if i["instrument"] == instrument and i["scale"] == scale["scale"]]
    scores = []
    for item in items:
        pos = item["item_position"]
        response = responses[pos - 1] if pos <= len(responses) else None
        if response is not None:
            scores.append(item_score(response, item))
    item_min = min(i["item_min"] for i in items)
    item_max = max(i["item_max"] for i in items)
    return scale_score(scores, item_min, item_max, scale), len(scores)


def is_item_level(outcome: dict) -> bool:
    return outcome["item_responses"] is not None and outcome["item_responses"].strip() != ""


def outcome_scores(outcomes: dict, seeds: dict, v: dict) -> dict[tuple, dict]:
    result = {}
    tolerance = v["reported_score_tolerance"]
    for key, o in outcomes.items():
        reported = o["value"]
        answered = None
        if is_item_level(o):
            scored, answered = registry_scale_score(o["instrument"], o["item_responses"], seeds)
            score = scored
            if reported is None:
                disagreeing = False
            elif scored is None:
                disagreeing = True  # a total given where the scoring rule leaves none
            else:
                disagreeing = abs(reported - scored) > tolerance
        else:
            scored, score, disagreeing = None, reported, False
        result[key] = {"score": score, "scored_value": scored, "reported_value": reported,
                       "is_reported_value_disagreeing": disagreeing,
                       "items_answered": answered,
                       "_outcome": o}  # the measure itself, for the registry
    return result


# --------------------------------------------------------------------------------------------
# Marts
# --------------------------------------------------------------------------------------------

def referral_latency(pathways: dict, delays: dict, targets: list[dict]) -> dict[tuple, dict]:
    mart = {}
    for key, p in pathways.items():
        d = delays[key]
        is_seen = p["first_seen_date"] is not None
        rtt_wait = days_between(p["rtt_clock_start_date"], p["first_seen_date"])
        own_targets = access_targets_for(p, targets)
        target = own_targets.get("first_attended_target_days")
        triage_target = own_targets.get("triage_target_working_days")
        triage_days = working_days_between(p["received_date"], p["triaged_date"])
        mart[key] = {
            "priority": p["priority"],
            "referral_reason": p["referral_reason"],
            "target_service": p["target_service"],
            "received_month": month_start(p["received_date"]),
            "days_referral_to_receipt": days_between(p["referred_date"], p["received_date"]),
            "days_receipt_to_triage": days_between(p["received_date"], p["triaged_date"]),
            "working_days_receipt_to_triage": triage_days,
            "triage_target_working_days": triage_target,
            "is_triaged_within_target": (None if triage_days is None or triage_target is None
                                         else triage_days <= triage_target),
            "days_triage_to_offer": days_between(p["triaged_date"], p["first_offered_date"]),
            "days_offer_to_first_seen": days_between(p["first_offered_date"],
                                                     p["first_seen_date"]),
            "days_receipt_to_first_seen": days_between(p["received_date"], p["first_seen_date"]),
            "days_referral_to_first_seen": days_between(p["referred_date"],
                                                        p["first_seen_date"]),
            "is_seen": is_seen,
            "pathway_status": p["pathway_status"],
            "clock_stop_date": p["clock_stop_date"],
            "is_clock_restarted": p["is_first_appointment_dna"],
            "rtt_clock_start_date": p["rtt_clock_start_date"],
            "days_rtt_wait": rtt_wait,
            **d,
            "days_rtt_wait_adjusted_local": (None if rtt_wait is None
                                             else rtt_wait - d["patient_initiated_delay_days"]),
            "target_days": target,
            "is_within_target": (None if not is_seen or rtt_wait is None or target is None
                                 else rtt_wait <= target),
        }
    return mart


def waiting_clock_start(p: dict, census: date) -> tuple[date, bool]:
    """received_date, or the first appointment's date if it was a DNA by the census date."""
    appt = p["first_appointment_date"]
    if (p["first_appointment_status"] == "did_not_attend"
            and p["received_date"] <= appt <= census):
        return appt, True
    return p["received_date"], False


def is_waiting_at(p: dict, census: date) -> bool:
    """Received on or before the census date, no clock stop on or before it."""
    return (p["received_date"] is not None and p["received_date"] <= census
            and (p["clock_stop_date"] is None or p["clock_stop_date"] > census))


def waiting_list(pathways: dict, census: dict[date, bool], targets: list[dict],
                 v: dict) -> dict[tuple, dict]:
    mart = {}
    for c, is_as_of in census.items():
        by_site = defaultdict(list)
        for (site, rid), p in pathways.items():
            if not is_waiting_at(p, c):
                continue
            start, restarted = waiting_clock_start(p, c)
            days = (c - start).days
            target = access_targets_for(p, targets).get("first_attended_target_days")
            row = {"is_as_of_date": is_as_of, "priority": p["priority"],
                   "target_service": p["target_service"],
                   "received_date": p["received_date"], "clock_start_date": start,
                   "is_clock_restarted": restarted, "days_waiting": days,
                   "weeks_waiting": float(days // 7), "target_days": target,
                   "is_within_target": None if target is None else days <= target,
                   "is_within_rtt_standard": days <= v["rtt_incomplete_standard_days"]}
            mart[(c, site, rid)] = row
            by_site[site].append((rid, row))
        # 1 = the longest waiter at the site on this census date; ties by referral_id.
        for rows in by_site.values():
            for rank, (_, row) in enumerate(
                    sorted(rows, key=lambda t: (-t[1]["days_waiting"], t[0])), start=1):
                row["wait_rank_in_site"] = rank
    return mart


def waiting_list_monthly(waiting: dict) -> dict[tuple, dict]:
    groups = defaultdict(list)
    for (c, site, _), row in waiting.items():
        groups[(c, site, row["priority"])].append(row)
    mart = {}
    for key, rows in groups.items():
        days = [r["days_waiting"] for r in rows]
        mart[key] = {
            "is_as_of_date": rows[0]["is_as_of_date"],
            "pathways_waiting": len(rows),
            "pathways_within_target": sum(r["is_within_target"] for r in rows),
            "prop_waiting_within_target": mean_of_flags(r["is_within_target"] for r in rows),
            "pathways_within_rtt_standard": sum(r["is_within_rtt_standard"] for r in rows),
            "prop_waiting_within_rtt_standard": mean_of_flags(
                r["is_within_rtt_standard"] for r in rows),
            "median_days_waiting": percentile_linear(days, 0.5),
            "p90_days_waiting": percentile_linear(days, 0.9),
            "max_days_waiting": max(days),
        }
    return mart


def access_monthly(latency: dict) -> dict[tuple, dict]:
    """Completed pathways in the month their clock stopped, by priority and for both priorities
    together ('all'): seen, or discharged unseen (after a missed appointment or not). The waits
    and the seen rate are over the seen only."""
    groups = defaultdict(list)
    for (site, _), row in latency.items():
        if row["pathway_status"] in ("seen", "discharged_dna", "discharged_unseen"):
            month = month_start(row["clock_stop_date"])
            groups[(site, month, row["priority"])].append(row)
            groups[(site, month, "all")].append(row)
    mart = {}
    for key, rows in groups.items():
        seen = [r for r in rows if r["is_seen"]]
        waits = [r["days_rtt_wait"] for r in seen]
        within = sum(1 for r in seen if r["is_within_target"])
        mart[key] = {
            "pathways_completed": len(rows),
            "pathways_seen": len(seen),
            "pathways_discharged_after_dna": sum(
                1 for r in rows if r["pathway_status"] == "discharged_dna"),
            "pathways_discharged_unseen": sum(
                1 for r in rows if r["pathway_status"] == "discharged_unseen"),
            "clocks_restarted": sum(1 for r in seen if r["is_clock_restarted"]),
            "median_days_rtt_wait": percentile_linear(waits, 0.5),
            "p90_days_rtt_wait": percentile_linear(waits, 0.9),
            "p95_days_rtt_wait": percentile_linear(waits, 0.95),
            "pathways_within_target": within,
            "prop_seen_within_target": within / len(seen) if seen else None,
            "median_days_rtt_wait_adjusted_local": percentile_linear(
                [r["days_rtt_wait_adjusted_local"] for r in seen], 0.5),
        }
    return mart


def has_reached_planned_end(p: dict, planned_end: date | None, as_of: date) -> bool:
    """Discharged as completed, discharged on/after the planned end, or open at as-of past it."""
    if p["discharge_reason"] == "completed":
        return True
    if planned_end is None:
        return False
    if p["discharged_date"] is not None:
        return p["discharged_date"] >= planned_end
    return as_of >= planned_end


def is_dropout(p: dict, last_engaged: date | None, planned_end: date | None, as_of: date,
               attended: int, planned_sessions: float, booked_after_as_of: bool,
               v: dict) -> bool:
    """Permanent discontinuation before the planned end, by (a) discharge or (b) silence,
    only while fewer sessions were attended than planned."""
    if last_engaged is None or planned_end is None or not last_engaged < planned_end:
        return False
    if not attended < planned_sessions:
        return False
    by_discharge = p["discharge_reason"] in DROPOUT_DISCHARGE_REASONS
    by_silence = (p["discharged_date"] is None
                  and (as_of - last_engaged).days >= v["dropout_after_days_without_attendance"]
                  and not booked_after_as_of)
    return by_discharge or by_silence


def adherence(pathways: dict, sessions_by_referral: dict, as_of: date, v: dict):
    mart = {}
    for key, p in pathways.items():
        if p["planned_sessions_per_week"] is None or p["planned_weeks"] is None:
            continue  # no prescribed programme
        sessions = sessions_by_referral.get(key, [])
        prog = programme_summary(sessions, v)
        seen = p["first_seen_date"]
        planned_end = None if seen is None else seen + timedelta(days=7 * p["planned_weeks"])
        planned_sessions = round_half_away_from_zero(
            p["planned_sessions_per_week"] * p["planned_weeks"])
        minutes = p["planned_minutes_per_session"]
        planned_minutes = None if minutes is None else planned_sessions * minutes
        a, dna = prog["sessions_attended"], prog["sessions_did_not_attend"]
        cp = prog["sessions_cancelled_by_patient"]
        prescribed = ratio(a, planned_sessions)
        prescribed = None if prescribed is None else min(1.0, prescribed)
        last_engaged = prog["last_attended_date"] or seen
        booked_ahead = any(as_date(s["scheduled_at"]) > as_of for s in sessions)
        dropout = is_dropout(p, last_engaged, planned_end, as_of, a, planned_sessions,
                             booked_ahead, v)
        reached_end = has_reached_planned_end(p, planned_end, as_of)
        completed = (not dropout and reached_end and prescribed is not None
                     and prescribed >= v["completion_min_prop_prescribed_sessions_attended"])
        if dropout:
            status = "dropout"
        elif completed:
            status = "completed"
        elif reached_end:
            status = "ended_below_target"
        elif p["discharged_date"] is not None:
            status = "discharged_early"
        else:
            status = "in_progress"
        mart[key] = {
            "programme_type": p["programme_type"],
            "planned_sessions_per_week": p["planned_sessions_per_week"],
            "planned_weeks": p["planned_weeks"],
            "planned_minutes_per_session": minutes,
            "first_seen_date": seen,
            "planned_end_date": planned_end,
            "planned_sessions": planned_sessions,
            "planned_minutes": planned_minutes,
            "sessions_attended": a,
            "sessions_did_not_attend": dna,
            "sessions_cancelled_by_patient": cp,
            "sessions_cancelled_by_service": prog["sessions_cancelled_by_service"],
            "delivered_minutes": prog["delivered_minutes"],
            "sessions_expected": a + dna + cp,
            "prop_sessions_attended": ratio(a, a + dna + cp),
            "prop_sessions_did_not_attend": ratio(dna, a + dna),
            "prop_prescribed_sessions_attended": prescribed,
            "dose_intensity": ratio(prog["delivered_minutes"], planned_minutes),
            "interruptions": prog["interruptions"],
            "last_attended_date": prog["last_attended_date"],
            "discharged_date": p["discharged_date"],
            "discharge_reason": p["discharge_reason"],
            "is_dropout": dropout,
            "dropout_date": last_engaged if dropout else None,
            "is_completed": completed,
            "programme_status": status,
        }
    return mart


def choose_baseline(candidates: list[tuple], v: dict):
    """In [start, end]: the latest study day on or before day 0, else the earliest after.

    candidates are (study_day, assessed_at, measure_id, score). "Latest" and "earliest" are
    about study days; the yml's "Remaining ties by assessed_at, measure_id" is read literally,
    ascending, for both rules: two measures on the same study day go to the earlier
    assessed_at, then the smaller measure_id (even for the "latest" rule)."""
    window = [c for c in candidates
              if v["baseline_window_start_day"] <= c[0] <= v["baseline_window_end_day"]]
    before = [c for c in window if c[0] <= 0]
    if before:
        return min(before, key=lambda c: (-c[0], c[1], c[2]))
    after = [c for c in window if c[0] > 0]
    return min(after, key=lambda c: (c[0], c[1], c[2])) if after else None


def choose_followup(candidates: list[tuple], v: dict):
    """In [start, end]: closest to the target day, a tie to the earlier."""
    window = [c for c in candidates
              if v["followup_window_start_day"] <= c[0] <= v["followup_window_end_day"]]
    target = v["followup_target_day"]
    return min(window, key=lambda c: (abs(c[0] - target), c[0], c[1], c[2])) if window else None


def scored_questionnaires(scores: dict) -> dict[tuple, dict]:
    """The item-level measures: registry scale score beside the reported total."""
    return {key: {"referral_id": s["_outcome"]["referral_id"],
                  "instrument": s["_outcome"]["instrument"],
                  "assessed_date": as_date(s["_outcome"]["assessed_at"]),
                  "items_answered": s["items_answered"],
                  "reported_value": s["reported_value"],
                  "scored_value": s["scored_value"],
                  "is_reported_value_disagreeing": s["is_reported_value_disagreeing"]}
            for key, s in scores.items() if is_item_level(s["_outcome"])}


def outcome_registry(pathways: dict, scores: dict, seeds: dict, v: dict):
    instruments = {i["instrument"]: i for i in seeds["instruments"]}
    candidates = defaultdict(list)
    for (site, mid), s in scores.items():
        o = s["_outcome"]
        p = pathways.get((site, o["referral_id"]))
        if p is None or p["first_seen_date"] is None or s["score"] is None:
            continue
        day = (as_date(o["assessed_at"]) - p["first_seen_date"]).days
        candidates[(site, o["referral_id"], o["instrument"])].append(
            (day, o["assessed_at"], mid, s["score"]))
    mart = {}
    for key, cands in candidates.items():
        inst = instruments[key[2]]
        bl, fu = choose_baseline(cands, v), choose_followup(cands, v)
        has_pair = bl is not None and fu is not None
        change = fu[3] - bl[3] if has_pair else None
        improvement = None if change is None else change * (1 if inst["higher_is_better"] else -1)
        mcid = None if inst["mcid"] is None else float(inst["mcid"])
        mart[key] = {
            "baseline_measure_id": bl and bl[2], "baseline_day": bl and bl[0],
            "baseline_value": bl and bl[3],
            "followup_measure_id": fu and fu[2], "followup_day": fu and fu[0],
            "followup_value": fu and fu[3],
            "has_pair": has_pair, "change": change, "improvement": improvement, "mcid": mcid,
            "is_responder": (None if improvement is None or mcid is None
                             else improvement >= mcid),
        }
    return mart


def registry_completeness(pathways: dict, registry: dict, as_of: date, v: dict):
    """Seen referrals whose follow-up window has closed, by site and month of day 0."""
    pairs, baselines = set(), set()
    for (site, rid, _), row in registry.items():
        if row["has_pair"]:
            pairs.add((site, rid))
        if row["baseline_value"] is not None:
            baselines.add((site, rid))
    groups = defaultdict(lambda: {"closed": 0, "died": 0, "pair": 0, "baseline_only": 0})
    for key, p in pathways.items():
        seen = p["first_seen_date"]
        if seen is None or not (as_of - seen).days > v["followup_window_end_day"]:
            continue
        g = groups[(key[0], month_start(seen))]
        g["closed"] += 1
        if (p["discharge_reason"] == "died" and p["discharged_date"] is not None
                and (p["discharged_date"] - seen).days < v["followup_window_start_day"]):
            g["died"] += 1
            continue
        if key in pairs:
            g["pair"] += 1
        elif key in baselines:
            g["baseline_only"] += 1
    mart = {}
    for key, g in groups.items():
        eligible = g["closed"] - g["died"]
        mart[key] = {
            "patients_eligible": eligible,
            "patients_died_before_followup": g["died"],
            "patients_with_pair": g["pair"],
            "patients_baseline_only": g["baseline_only"],
            "prop_eligible_with_pair": ratio(g["pair"], eligible),
            "prop_eligible_baseline_only": ratio(g["baseline_only"], eligible),
        }
    return mart


def stage_latency_monthly(latency: dict) -> dict[tuple, dict]:
    """Per site and month received: medians of each stage over referrals that completed it."""
    groups = defaultdict(list)
    for (site, _), row in latency.items():
        if row["received_month"] is not None:
            groups[(site, row["received_month"])].append(row)
    mart = {}
    for key, rows in groups.items():
        def known(column, rows=rows):
            return [r[column] for r in rows if r[column] is not None]
        mart[key] = {
            "referrals_received": len(rows),
            "referrals_triaged": len(known("days_receipt_to_triage")),
            "referrals_seen": len(known("days_receipt_to_first_seen")),
            **{f"median_{c}": percentile_linear(known(c), 0.5) for c in (
                "days_referral_to_receipt", "days_receipt_to_triage", "days_triage_to_offer",
                "days_offer_to_first_seen", "days_receipt_to_first_seen")},
        }
    return mart


def site_performance(latency: dict, adherence_mart: dict, registry: dict,
                     waiting: dict) -> dict[tuple, dict]:
    """Per site and for the network (key (True, None)): every figure from the rows of its scope,
    never from the site figures."""
    sites = sorted({site for site, _ in latency})
    scopes = [(False, site) for site in sites] + [(True, None)]

    def of(rows: dict, scope: tuple, site_at=0) -> list[dict]:
        network, site = scope
        return [r for k, r in rows.items() if network or k[site_at] == site]

    mart = {}
    for scope in scopes:
        referrals = of(latency, scope)
        seen = [r for r in referrals if r["is_seen"]]
        within = sum(1 for r in seen if r["is_within_target"])
        programmes = of(adherence_mart, scope)
        attended = sum(r["sessions_attended"] for r in programmes)
        dna = sum(r["sessions_did_not_attend"] for r in programmes)
        cancelled = sum(r["sessions_cancelled_by_patient"] for r in programmes)
        pairs = [r for r in of(registry, scope) if r["is_responder"] is not None]
        responding = sum(1 for r in pairs if r["is_responder"])
        now_keyed = [(k, r) for k, r in waiting.items()
                     if r["is_as_of_date"] and (scope[0] or k[1] == scope[1])]
        now = [r for _, r in now_keyed]
        now_within = sum(1 for r in now if r["is_within_target"])
        now_standard = sum(1 for r in now if r["is_within_rtt_standard"])
        mart[scope] = {
            "referrals_received": sum(1 for r in referrals if r["received_month"] is not None),
            "referrals_seen": len(seen),
            "referrals_seen_within_target": within,
            "prop_seen_within_target": ratio(within, len(seen)),
            "median_days_receipt_to_triage": percentile_linear(
                [r["days_receipt_to_triage"] for r in referrals
                 if r["days_receipt_to_triage"] is not None], 0.5),
            "median_days_rtt_wait": percentile_linear(
                [r["days_rtt_wait"] for r in seen if r["days_rtt_wait"] is not None], 0.5),
            "sessions_attended": attended,
            "sessions_did_not_attend": dna,
            "sessions_cancelled_by_patient": cancelled,
            "sessions_expected": attended + dna + cancelled,
            "prop_sessions_attended": ratio(attended, attended + dna + cancelled),
            "prop_sessions_did_not_attend": ratio(dna, attended + dna),
            "pairs_assessed": len(pairs),
            "pairs_responding": responding,
            "prop_pairs_responding": ratio(responding, len(pairs)),
            "census_date": max((k[0] for k, _ in now_keyed), default=None),
            "pathways_waiting": len(now),
            "pathways_waiting_within_target": now_within,
            "prop_waiting_within_target": ratio(now_within, len(now)),
            "pathways_waiting_within_rtt_standard": now_standard,
            "prop_waiting_within_rtt_standard": ratio(now_standard, len(now)),
        }
    return mart


def _scopes(site: str) -> list[str | None]:
    """A row counts for its site and for the network (None)."""
    return [site, None]


def waiting_list_wait_bands(waiting: dict, v: dict) -> dict[tuple, dict]:
    """Pathways waiting at each census by whole weeks waited (the last band capped), for each
    site and the network, each priority and every priority."""
    cap = v["wait_band_cap_weeks"]
    counts: dict[tuple, int] = defaultdict(int)
    as_of: dict[date, bool] = {}
    for (census, site, _), row in waiting.items():
        band = min(int(row["weeks_waiting"]), cap)
        as_of[census] = row["is_as_of_date"]
        for scope_site in _scopes(site):
            for priority in (row["priority"], None):
                counts[(census, scope_site, priority, band)] += 1
    return {key: {"is_as_of_date": as_of[key[0]], "is_network_total": key[1] is None,
                  "is_all_priorities": key[2] is None,
                  "wait_band": f"{key[3]}+ weeks" if key[3] >= cap
                  else f"{key[3]}-{key[3] + 1} weeks",
                  "pathways_waiting": n}
            for key, n in counts.items()}


def adherence_by_programme(adherence_mart: dict) -> dict[tuple, dict]:
    """Per site and programme type (and the network's per type): attendance over every
    programme; completion, dropout and dose intensity over the ended ones."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for (site, _), row in adherence_mart.items():
        for scope_site in _scopes(site):
            groups[(scope_site, row["programme_type"] or "not_recorded")].append(row)
    mart = {}
    for key, rows in groups.items():
        ended = [r for r in rows if r["programme_status"] != "in_progress"]
        expected = sum(r["sessions_expected"] for r in rows)
        attended = sum(r["sessions_attended"] for r in rows)
        completed = sum(1 for r in ended if r["is_completed"])
        dropped = sum(1 for r in ended if r["is_dropout"])
        planned = sum(r["planned_minutes"] for r in ended if r["planned_minutes"] is not None)
        delivered = sum(r["delivered_minutes"] for r in ended
                        if r["delivered_minutes"] is not None)
        mart[key] = {
            "is_network_total": key[0] is None, "programmes": len(rows),
            "sessions_expected": expected, "sessions_attended": attended,
            "prop_sessions_attended": ratio(attended, expected),
            "programmes_ended": len(ended), "programmes_completed": completed,
            "prop_ended_completed": ratio(completed, len(ended)),
            "programmes_dropped_out": dropped,
            "prop_ended_dropped_out": ratio(dropped, len(ended)),
            "planned_minutes_ended": planned, "delivered_minutes_ended": delivered,
            "relative_dose_intensity": ratio(delivered, planned),
        }
    return mart


def outcome_change_by_instrument(registry: dict, seeds: dict) -> dict[tuple, dict]:
    """Per site and instrument (and the network's per instrument), over the registry's pairs:
    median baseline, follow-up and signed improvement, and the responders among the pairs
    with an MCID."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for (site, _, instrument), row in registry.items():
        if row["has_pair"]:
            for scope_site in _scopes(site):
                groups[(scope_site, instrument)].append(row)
    instruments = {i["instrument"]: i for i in seeds["instruments"]}
    mart = {}
    for key, rows in groups.items():
        instrument = instruments[key[1]]
        assessed = [r for r in rows if r["is_responder"] is not None]
        responding = sum(1 for r in assessed if r["is_responder"])
        mart[key] = {
            "is_network_total": key[0] is None, "instrument_label": instrument["label"],
            "instrument_unit": instrument["unit"], "mcid": instrument["mcid"],
            "pairs": len(rows),
            "median_baseline_value": percentile_linear([r["baseline_value"] for r in rows], 0.5),
            "median_followup_value": percentile_linear([r["followup_value"] for r in rows], 0.5),
            "median_improvement": percentile_linear([r["improvement"] for r in rows], 0.5),
            "pairs_assessed": len(assessed), "pairs_responding": responding,
            "prop_pairs_responding": ratio(responding, len(assessed)),
        }
    return mart


# --------------------------------------------------------------------------------------------
# Everything
# --------------------------------------------------------------------------------------------

def outcomes_reach(loaded_files: list[dict]) -> dict[str, date]:
    """How far each site's loaded outcome files reach (each file at its latest attempt, as
    stg_loaded_files keeps it): the last day of the month its name covers, else its delivery."""
    latest: dict[str, dict] = {}
    for row in loaded_files:
        kept = latest.get(row["source_file"])
        if kept is None or row["delivery_id"] > kept["delivery_id"]:
            latest[row["source_file"]] = row
    reach: dict[str, date] = {}
    for row in latest.values():
        if row["extract"] != "outcomes" or row["status"] != "loaded":
            continue
        if row["data_period"]:
            year, month = (int(x) for x in row["data_period"].split("-"))
            end = month_end(date(year, month, 1))
        else:
            end = as_date(row["delivered_at"] or row["file_modified_at"])
        reach[row["site_code"]] = max(reach.get(row["site_code"], end), end)
    return reach


def recompute(raw: dict, seeds: dict, dbt_vars: dict) -> dict[str, dict]:
    referrals = current_versions(raw["referrals"], BUSINESS_KEYS["referrals"])
    sessions = current_versions(raw["sessions"], BUSINESS_KEYS["sessions"])
    outcomes = current_versions(raw["outcomes"], BUSINESS_KEYS["outcomes"])

    sessions_by_referral = defaultdict(list)
    for s in sessions.values():
        sessions_by_referral[(s["site_code"], s["referral_id"])].append(s)

    pathways = referral_pathways(referrals, sessions_by_referral)
    delays = {k: access_delays(p, sessions_by_referral.get(k, []))
              for k, p in pathways.items()}
    as_of = as_of_date(pathways, sessions, dbt_vars)
    census = census_dates(pathways, as_of)
    scores = outcome_scores(outcomes, seeds, dbt_vars)

    latency = referral_latency(pathways, delays, seeds["access_targets"])
    waiting = waiting_list(pathways, census, seeds["access_targets"], dbt_vars)
    registry = outcome_registry(pathways, scores, seeds, dbt_vars)
    adherence_mart = adherence(pathways, sessions_by_referral, as_of, dbt_vars)
    marts = {
        "fct_referral_latency": latency,
        "fct_waiting_list": waiting,
        "fct_waiting_list_monthly": waiting_list_monthly(waiting),
        "fct_waiting_list_wait_bands": waiting_list_wait_bands(waiting, dbt_vars),
        "fct_access_monthly": access_monthly(latency),
        "fct_stage_latency_monthly": stage_latency_monthly(latency),
        "fct_adherence": adherence_mart,
        "fct_adherence_by_programme": adherence_by_programme(adherence_mart),
        "fct_site_performance": site_performance(latency, adherence_mart, registry, waiting),
        "fct_outcome_registry": registry,
        "fct_outcome_change_by_instrument": outcome_change_by_instrument(registry, seeds),
        "fct_registry_completeness": registry_completeness(pathways, registry, as_of, dbt_vars),
        "fct_scored_questionnaires": scored_questionnaires(scores),
        "int_outcomes_scored": {k: {c: s[c] for c in
                                   ("score", "scored_value", "is_reported_value_disagreeing")}
                               for k, s in scores.items()},
        # for the test's non-triviality checks and diagnostics, not a mart
        "_context": {"as_of_date": as_of, "census_dates": census, "pathways": pathways,
                     "delays": delays, "scores": scores,
                     "outcomes_reach": outcomes_reach(raw.get("loaded_files", []))},
    }
    indicators = monthly_indicators(marts, seeds, dbt_vars)
    points = spc_points(indicators, dbt_vars)
    marts.update({
        "fct_monthly_indicators": indicators,
        "fct_spc_points": points,
        "fct_spc_summary": spc_summary(points),
        "fct_funnel": funnel(indicators, dbt_vars),
    })
    return marts


def recompute_from_warehouse(settings) -> dict[str, dict]:
    """recompute() over the raw tables of a data folder's warehouse and its dbt project."""
    import duckdb

    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        raw = fetch_raw(con)
        cursor = con.execute("select * from ops.loaded_files")
        names = [d[0] for d in cursor.description]
        raw["loaded_files"] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()
    project = settings.dbt_project_dir
    return recompute(raw, load_seeds(project), load_vars(project))
