"""Simulate one referral's journey: pathway stages, the therapy programme and its outcomes.

Distributions follow the CIPN exercise literature the product is built on: programmes of
15-60 minute sessions, daily to twice weekly, for 2-36 weeks (most 8-12), attendance around
80% with a tail of dropouts, and outcome trajectories that mostly improve with dose.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from carepath.contract import STAGE_ORDER
from carepath.generate.bottlenecks import SitePlan
from carepath.generate.roster import Site


@dataclass
class Journey:
    referral: dict
    sessions: list[dict] = field(default_factory=list)
    outcomes: list[dict] = field(default_factory=list)


def _pick(rng: random.Random, weighted: dict[str, float]) -> str:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def _working_time(rng: random.Random, day: datetime) -> datetime:
    return day.replace(hour=rng.randint(8, 16), minute=rng.choice((0, 15, 30, 45)), second=0)


def _next_stage(rng: random.Random, previous: datetime, days: int) -> datetime:
    """A working-hours time `days` after the previous stage, never before it on the same day."""
    when = _working_time(rng, previous + timedelta(days=days))
    return when if when >= previous else previous + timedelta(minutes=rng.choice((15, 30, 60)))


REASONS = {"cipn": 0.60, "neuropathic_pain_surgery": 0.12, "neuropathic_pain_radiotherapy": 0.06,
           "deconditioning": 0.10, "falls_risk": 0.08, "other": 0.04}
AGENT_BY_CANCER = {
    "breast": {"taxane": 0.8, "platinum": 0.2},
    "ovarian": {"taxane": 0.5, "platinum": 0.5},
    "colorectal": {"platinum": 1.0},
    "gastric": {"platinum": 0.8, "taxane": 0.2},
    "lung": {"platinum": 0.6, "taxane": 0.3, "vinca_alkaloid": 0.1},
    "lymphoma": {"vinca_alkaloid": 1.0},
    "myeloma": {"bortezomib": 0.75, "thalidomide": 0.25},
    "cervical": {"platinum": 1.0},
}
CANCERS = {"breast": 0.32, "colorectal": 0.17, "ovarian": 0.09, "lung": 0.1, "lymphoma": 0.1,
           "myeloma": 0.1, "gastric": 0.05, "cervical": 0.04, "other": 0.03}
INSTRUMENTS_BY_REASON = {
    "cipn": ("fact_gog_ntx", "pain_nrs", "tug", "grip_strength"),
    "neuropathic_pain_surgery": ("pain_nrs", "grip_strength"),
    "neuropathic_pain_radiotherapy": ("pain_nrs",),
    "deconditioning": ("tug", "grip_strength", "single_leg_stance"),
    "falls_risk": ("tug", "single_leg_stance"),
    "other": ("pain_nrs", "tug"),
}
# baseline mean, sd, expected improvement at full dose (in the instrument's own direction), bounds
TRAJECTORY = {
    "fact_gog_ntx": (24.0, 7.0, +4.5, (0, 44)),
    "eortc_cipn20": (38.0, 15.0, -9.0, (0, 100)),
    "pain_nrs": (5.5, 1.8, -1.8, (0, 10)),
    "tug": (10.5, 3.0, -1.3, (4, 40)),
    "grip_strength": (24.0, 8.0, +2.5, (4, 70)),
    "single_leg_stance": (12.0, 8.0, +4.0, (0, 60)),
}
NTX_ITEMS = 11


def simulate(rng: random.Random, site: Site, seq: int, patient_id: str, referred_day: datetime,
             census: datetime, plan: SitePlan) -> Journey:
    """Everything that happens to one referral up to the census date (later events are unknown),
    with what the site's planted bottlenecks do to it."""
    reason = _pick(rng, REASONS)
    cancer = _pick(rng, CANCERS)
    if reason == "cipn":
        agent = _pick(rng, AGENT_BY_CANCER.get(cancer, {"unknown": 1.0}))
        source = _pick(rng, {"medical_oncology": 0.78, "haematology": 0.17, "other": 0.05})
        if cancer in ("lymphoma", "myeloma"):
            source = "haematology"
    else:
        agent = _pick(rng, {"none": 0.8, "unknown": 0.2})
        source = _pick(rng, {"surgical_oncology": 0.45, "radiotherapy": 0.2, "primary_care": 0.2,
                             "medical_oncology": 0.1, "other": 0.05})
    priority = "urgent" if rng.random() < 0.25 else "routine"
    service = ("pain_service" if reason.startswith("neuropathic_pain") and rng.random() < 0.7 else
               _pick(rng, {"physiotherapy": 0.5, "exercise_oncology": 0.3,
                           "occupational_therapy": 0.2}))
    referral_id = f"{site.code}-R{seq:06d}"
    r: dict = {
        "referral_id": referral_id, "patient_id": patient_id, "site_code": site.code,
        "referral_source": source, "referral_reason": reason, "cancer_type": cancer,
        "neurotoxic_agent": agent, "priority": priority, "target_service": service,
    }
    journey = Journey(r)
    urgent = priority == "urgent"

    referred = _working_time(rng, referred_day)
    received = referred + timedelta(days=min(int(rng.expovariate(1 / 0.8)), 10))
    triage_days = rng.randint(0, 3) if urgent else rng.randint(1, 9)
    triage_days += plan.extra_triage_days(rng, _label(received))
    triaged = _next_stage(rng, received, triage_days)
    decision = _pick(rng, {"accepted": 0.88, "declined": 0.07, "redirected": 0.05})
    offered = _next_stage(rng, triaged, rng.randint(0, 5))
    horizon = rng.randint(3, 12) if urgent else rng.randint(10, 45)
    horizon += plan.extra_days_to_appointment(rng, _label(received))
    appointment = _next_stage(rng, offered, horizon)

    stamps = {"referred_at": referred, "received_at": received, "triaged_at": triaged}
    r["triage_decision"] = decision
    if decision == "accepted":
        stamps["first_offered_at"] = offered
        _schedule_programme(rng, site, plan, journey, stamps, appointment)
    elif decision == "redirected":
        stamps["discharged_at"] = triaged
        r["discharge_reason"] = "transferred"
    _apply_census(r, stamps, census)
    journey.sessions = [s for s in journey.sessions if s["scheduled_at"] <= census]
    journey.outcomes = [o for o in journey.outcomes if o["assessed_at"] <= census]
    return journey


def _label(when: datetime) -> str:
    return when.strftime("%Y-%m")


def snapshot(referral: dict, as_of: datetime) -> dict:
    """The referral as a site's system would have shown it at `as_of` (a delivery's cut-off)."""
    r = dict(referral)
    _apply_census(r, {k: referral[k] for k in STAGE_ORDER if referral.get(k)}, as_of)
    return r


def _apply_census(r: dict, stamps: dict[str, datetime], census: datetime) -> None:
    for name, when in stamps.items():
        r[name] = when if when <= census else None
    if r.get("triaged_at") is None:
        r["triage_decision"] = None
    if r.get("first_seen_at") is None:
        for k in ("programme_type", "planned_sessions_per_week", "planned_weeks",
                  "planned_minutes_per_session"):
            r[k] = None
    if r.get("discharged_at") is None:
        r["discharge_reason"] = None


def _session(journey: Journey, n: int, kind: str, when: datetime, status: str,
             minutes: int | None, mode: str, discipline: str) -> None:
    r = journey.referral
    journey.sessions.append({
        "session_id": f"{r['referral_id']}-S{n:03d}", "referral_id": r["referral_id"],
        "patient_id": r["patient_id"], "site_code": r["site_code"], "session_kind": kind,
        "scheduled_at": when, "status": status,
        "delivered_minutes": minutes if status == "attended" else None,
        "mode": mode, "discipline": discipline,
    })


def _schedule_programme(rng: random.Random, site: Site, plan: SitePlan, journey: Journey,
                        stamps: dict[str, datetime], appointment: datetime) -> None:
    r = journey.referral
    discipline = {"physiotherapy": "physiotherapist",
                  "occupational_therapy": "occupational_therapist",
                  "pain_service": "pain_specialist",
                  "exercise_oncology": "exercise_physiologist"}[r["target_service"]]
    n = 0
    # Before the first appointment takes place it may be cancelled in advance and re-booked:
    # by the patient (the RTT clock runs on; the adjusted wait deducts it) or by the service.
    for status, share, rebook_days in (("cancelled_by_patient", 0.08, (7, 21)),
                                       ("cancelled_by_service", 0.05, (3, 14))):
        if rng.random() < share:
            n += 1
            _session(journey, n, "assessment", appointment, status, None, "in_person", discipline)
            appointment = _next_stage(rng, appointment, rng.randint(*rebook_days))
    # First appointment: a DNA nullifies the RTT clock and the patient is re-booked once.
    for attempt in range(2):
        n += 1
        if rng.random() < site.dna_rate:
            _session(journey, n, "assessment", appointment, "did_not_attend", None, "in_person",
                     discipline)
            appointment = _next_stage(rng, appointment, rng.randint(7, 21))
            if attempt == 1:
                stamps["discharged_at"] = appointment
                r["discharge_reason"] = "lost_to_follow_up"
                return
            continue
        break
    first_seen = appointment
    stamps["first_seen_at"] = first_seen
    _session(journey, n, "assessment", first_seen, "attended", 60, "in_person", discipline)

    per_week = _pick(rng, {"2": 0.45, "3": 0.3, "5": 0.15, "7": 0.1})
    weeks = max(2, min(36, int(round(rng.gauss(10, 3.5)))))
    minutes = rng.choice(range(15, 65, 5))
    r.update(programme_type=_pick(rng, {"combined": 0.3, "balance": 0.2, "strength": 0.15,
                                         "sensory": 0.12, "aerobic": 0.1, "yoga": 0.08,
                                         "stretching": 0.05}),
             planned_sessions_per_week=int(per_week), planned_weeks=weeks,
             planned_minutes_per_session=minutes)
    planned = round(int(per_week) * weeks)
    group = rng.random() < 0.3
    mode = _pick(rng, {"in_person": 0.7, "telehealth": 0.15, "home_supervised": 0.15})
    attendance_factor, dropout_probability = plan.adherence(_label(first_seen))
    attend_p = (min(0.98, max(0.35, rng.gauss(0.84, 0.1))) * (1 - (site.dna_rate - 0.07))
                * attendance_factor)
    dropout_at = (int(planned * rng.uniform(0.15, 0.7)) if rng.random() < dropout_probability
                  else None)

    attended = 0
    gap = 7 / int(per_week)
    last = first_seen
    for i in range(planned):
        when = _next_stage(rng, first_seen, int(gap * (i + 1)))
        if dropout_at is not None and i >= dropout_at:
            if i >= dropout_at + 3:  # three straight misses, then the service discharges
                stamps["discharged_at"] = _next_stage(rng, last, 28)
                r["discharge_reason"] = _pick(rng, {"patient_withdrew": 0.6,
                                                    "lost_to_follow_up": 0.3,
                                                    "clinical_deterioration": 0.07,
                                                    "died": 0.03})
                break
            status = "did_not_attend"
        else:
            status = "attended" if rng.random() < attend_p else _missed(rng, site)
        kind = "group_class" if group else "treatment"
        delivered = max(5, min(minutes, int(rng.gauss(minutes * 0.95, minutes * 0.1))))
        n += 1
        _session(journey, n, kind, when, status, delivered, mode, discipline)
        if status == "attended":
            attended += 1
            last = when
    else:
        # The end-of-programme review is not a programme dose; the patient is discharged at it.
        review = _next_stage(rng, last, rng.randint(1, 7))
        n += 1
        _session(journey, n, "review", review, "attended", 30, "in_person", discipline)
        stamps["discharged_at"] = review
        r["discharge_reason"] = "completed"

    dose = attended / planned if planned else 0
    followed_up = rng.random() < plan.follow_up_probability(_label(first_seen),
                                                           dropped=dropout_at is not None)
    _measure_outcomes(rng, site, journey, first_seen, dose, followed_up)


def _missed(rng: random.Random, site: Site) -> str:
    dna_share = min(0.8, 0.4 + site.dna_rate)
    u = rng.random()
    if u < dna_share:
        return "did_not_attend"
    patient_share = dna_share + (1 - dna_share) * 0.6
    return "cancelled_by_patient" if u < patient_share else "cancelled_by_service"


def _measure_outcomes(rng: random.Random, site: Site, journey: Journey, day0: datetime,
                      dose: float, followed_up: bool) -> None:
    r = journey.referral
    instruments = list(INSTRUMENTS_BY_REASON[r["referral_reason"]])
    if "fact_gog_ntx" in instruments and rng.random() < 0.3:
        instruments.append("eortc_cipn20")
    for instrument in instruments:
        mean, sd, gain, (lo, hi) = TRAJECTORY[instrument]
        baseline = min(hi, max(lo, rng.gauss(mean, sd)))
        when = [day0 - timedelta(days=rng.choice((0, 0, 0, 1, 3, 7, 14)))]
        values = [baseline]
        if followed_up:
            change = gain * (0.3 + dose) + rng.gauss(0, abs(gain) * 0.8)
            values.append(min(hi, max(lo, baseline + change)))
            when.append(day0 + timedelta(days=84 + rng.randint(-12, 12)))
        for k, (at, value) in enumerate(zip(when, values, strict=True)):
            journey.outcomes.append(_measure(rng, site, r, instrument, k, at, value))


def _measure(rng: random.Random, site: Site, r: dict, instrument: str, k: int, at: datetime,
             value: float) -> dict:
    row = {"measure_id": f"{r['referral_id']}-{instrument}-{k}", "referral_id": r["referral_id"],
           "patient_id": r["patient_id"], "site_code": r["site_code"], "instrument": instrument,
           "assessed_at": at.replace(hour=10, minute=0), "item_responses": None}
    if instrument == "fact_gog_ntx" and site.item_level_questionnaires:
        row["item_responses"], row["value"] = _ntx_items(rng, value)
    elif instrument == "eortc_cipn20" and site.item_level_questionnaires:
        row["item_responses"], row["value"] = _cipn20_items(rng, value)
    elif instrument in ("pain_nrs",):
        row["value"] = float(round(value))
    else:
        row["value"] = round(value, 1)
    return row


def _ntx_items(rng: random.Random, score: float) -> tuple[str, float | None]:
    """Eleven FACT/GOG-Ntx responses (0-4, all reverse-scored) near a target subscale score,
    and the total the site's system reports. That system does not prorate: with items missing
    it reports the plain sum, which carepath's own scoring must catch as a disagreement."""
    symptom = (44 - score) / 11  # mean response
    responses: list[int | None] = [
        min(4, max(0, round(rng.gauss(symptom, 0.7)))) for _ in range(NTX_ITEMS)]
    missing = int(_pick(rng, {"0": 0.84, "1": 0.09, "2": 0.05, "6": 0.02}))
    for i in rng.sample(range(NTX_ITEMS), k=missing):
        responses[i] = None
    answered = [4 - x for x in responses if x is not None]
    text = ";".join("" if x is None else str(x) for x in responses)
    if missing and rng.random() < 0.5:
        return text, float(sum(answered))
    if len(answered) < 6:  # under the prorating rule the subscale is missing
        return text, None
    return text, round(sum(answered) * NTX_ITEMS / len(answered), 2)


CIPN20_SENSORY = (1, 2, 3, 4, 5, 6, 9, 10, 18)


def _cipn20_items(rng: random.Random, score: float) -> tuple[str, float | None]:
    """Twenty EORTC QLQ-CIPN20 responses (1-4) near a target sensory score, and the sensory
    scale as reported. Items 19 (driving) and 20 (erection) are often not applicable."""
    level = 1 + score / 100 * 3
    responses: list[int | None] = [min(4, max(1, round(rng.gauss(level, 0.6)))) for _ in range(20)]
    for item in (19, 20):
        if rng.random() < 0.35:
            responses[item - 1] = None
    text = ";".join("" if x is None else str(x) for x in responses)
    sensory = [responses[i - 1] for i in CIPN20_SENSORY]
    return text, round((sum(sensory) / len(sensory) - 1) / 3 * 100, 2)
