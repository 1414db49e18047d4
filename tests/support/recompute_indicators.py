"""The QI marts recomputed in plain Python from the recomputed marts (recompute_marts.py),
written from the yml definitions: the monthly indicators, their XmR charts (carepath.qi.spc,
the numpy implementation tested against the published vectors) and the funnels
(carepath.qi.funnel).

Keys follow the marts' grains: indicators and SPC points by (indicator_id, indicator_month,
is_network_total, site_code), summaries by (indicator_id, is_network_total, site_code),
funnels by (indicator_id, site_code).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date

import numpy as np

from carepath.qi import funnel as funnels
from carepath.qi.spc import assurance, xmr_chart


def _month(d: date | None) -> date | None:
    return None if d is None else d.replace(day=1)


def _add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _last_day(month: date) -> date:
    return date.fromordinal(_add_months(month, 1).toordinal() - 1)


def _percentile(values: list, p: float) -> float | None:
    """Linear interpolation between order statistics (Hyndman and Fan's type 7)."""
    xs = sorted(values)
    if not xs:
        return None
    h = (len(xs) - 1) * p
    lo, hi = math.floor(h), math.ceil(h)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


class _Indicators:
    """Rows of one indicator, grouped by site and month and for the network by month."""

    def __init__(self):
        self.rows: dict[tuple, dict] = {}

    def add(self, indicator: str, members: list[tuple[str, date | None, object]], summarise):
        """`members`: (site_code, month, item) per row counted; `summarise(items)` gives
        (numerator, denominator, value)."""
        groups = defaultdict(list)
        for site, month, item in members:
            if month is None:
                continue
            groups[(month, False, site)].append(item)
            groups[(month, True, None)].append(item)
        for (month, network, site), items in groups.items():
            numerator, denominator, value = summarise(items)
            self.rows[(indicator, month, network, site)] = {
                "numerator": numerator, "denominator": denominator,
                "value": None if value is None else float(value)}


def _count(items):
    return None, None, len(items)


def _median(items):
    """The rows behind it, all of them; the percentile over those with a value."""
    return None, len(items), _percentile([x for x in items if x is not None], 0.5)


def _p90(items):
    return None, len(items), _percentile([x for x in items if x is not None], 0.9)


def _share(items):
    """items are (numerator, denominator) pairs."""
    numerator = sum(n for n, _ in items)
    denominator = sum(d for _, d in items)
    return numerator, denominator, (numerator / denominator if denominator else None)


def monthly_indicators(marts: dict, seeds: dict, v: dict) -> dict[tuple, dict]:
    context = marts["_context"]
    pathways, as_of = context["pathways"], context["as_of_date"]
    latency = marts["fct_referral_latency"]
    out = _Indicators()

    referrals = [(key, row, pathways[key]) for key, row in latency.items()]
    seen = [(k, r, p) for k, r, p in referrals if r["is_seen"]]
    out.add("referrals_received", [(k[0], r["received_month"], 1) for k, r, _ in referrals],
            _count)
    out.add("first_appointments",
            [(k[0], _month(p["first_seen_date"]), 1) for k, _, p in referrals], _count)
    stop = [(k[0], _month(r["clock_stop_date"]), r["days_rtt_wait"]) for k, r, _ in seen]
    out.add("access_wait_median_days", stop, _median)
    out.add("access_wait_p90_days", stop, _p90)
    out.add("prop_seen_within_target",
            [(k[0], _month(r["clock_stop_date"]), (int(bool(r["is_within_target"])), 1))
             for k, r, _ in seen], _share)
    for indicator, days, ended in (
            ("stage_referral_to_receipt_median_days", "days_referral_to_receipt",
             "received_date"),
            ("stage_receipt_to_triage_median_days", "days_receipt_to_triage", "triaged_date"),
            ("stage_triage_to_offer_median_days", "days_triage_to_offer", "first_offered_date"),
            ("stage_offer_to_first_seen_median_days", "days_offer_to_first_seen",
             "first_seen_date")):
        out.add(indicator, [(k[0], _month(p[ended]), r[days]) for k, r, p in referrals
                            if r[days] is not None], _median)
    out.add("prop_first_appointment_dna",
            [(k[0], _month(p["first_appointment_date"]), (int(p["is_first_appointment_dna"]), 1))
             for k, _, p in referrals
             if p["first_appointment_status"] in ("attended", "did_not_attend")], _share)

    settled_by = date.fromordinal(as_of.toordinal() - v["dropout_after_days_without_attendance"])
    ended = [(k[0], _month(r["dropout_date"] or r["discharged_date"] or r["planned_end_date"]), r)
             for k, r in marts["fct_adherence"].items() if r["programme_status"] != "in_progress"]
    ended = [(s, m, r) for s, m, r in ended if _last_day(m) <= settled_by]
    out.add("prop_sessions_attended",
            [(s, m, (r["sessions_attended"], r["sessions_expected"])) for s, m, r in ended],
            _share)
    out.add("prop_programmes_dropped_out",
            [(s, m, (int(r["is_dropout"]), 1)) for s, m, r in ended], _share)
    out.add("prop_programmes_completed",
            [(s, m, (int(r["is_completed"]), 1)) for s, m, r in ended], _share)

    out.add("prop_pairs_responding",
            [(site, _month(pathways[(site, rid)]["first_seen_date"]), (int(r["is_responder"]), 1))
             for (site, rid, _), r in marts["fct_outcome_registry"].items()
             if r["is_responder"] is not None], _share)
    reach = context["outcomes_reach"]
    out.add("prop_registry_complete",
            [(site, month, (r["patients_with_pair"], r["patients_eligible"]))
             for (site, month), r in marts["fct_registry_completeness"].items()
             if site in reach and date.fromordinal(_last_day(month).toordinal()
                                                   + v["followup_window_end_day"]) <= reach[site]],
            _share)
    out.add("waiting_list_month_end",
            [(site, _month(census), 1) for (census, site, _) in marts["fct_waiting_list"]
             if census == _last_day(_month(census))], _count)

    first = defaultdict(lambda: None)
    for (site, _), r in latency.items():
        if r["received_month"] is not None:
            for scope in (site, None):
                first[scope] = min(filter(None, (first[scope], r["received_month"])))
    # The last whole month: the as-of date's own month only when the as-of date ends it.
    last_month = _month(as_of) if as_of == _last_day(_month(as_of)) else _add_months(
        _month(as_of), -1)
    seed = {s["indicator_id"]: s for s in seeds["qi_indicators"]}
    judged = {}
    # Every month of each site's (and the network's) window, for every indicator: a count with
    # no events is 0, a proportion or median with no events a gap over a denominator of 0.
    for scope, first_month in first.items():
        network, site = scope is None, scope
        month = _add_months(first_month, v["spc_warm_up_months"])
        while month <= last_month:
            for indicator, about in seed.items():
                unit = about["indicator_unit"]
                row = out.rows.get((indicator, month, network, site)) or {
                    "numerator": 0 if unit == "proportion" else None,
                    "denominator": None if unit == "count" else 0,
                    "value": 0.0 if unit == "count" else None}
                judged[(indicator, month, network, site)] = {
                    **row, "indicator_label": about["indicator_label"],
                    "indicator_unit": unit,
                    "improvement_direction": about["improvement_direction"],
                    "target_value": (None if about["target_value"] is None
                                     else float(about["target_value"]))}
            month = _add_months(month, 1)
    return judged


def _series(monthly: dict) -> dict[tuple, list[tuple]]:
    """Each chart's months in order, gaps (no value) included."""
    series = defaultdict(list)
    for (indicator, month, network, site), row in monthly.items():
        series[(indicator, network, site)].append((month, row))
    return {k: sorted(points, key=lambda p: p[0]) for k, points in series.items()}


def _moving_ranges(series: list[tuple]) -> list[float]:
    """|y_i - y_i-1| between months that follow each other and both have a value."""
    return [abs(row["value"] - before["value"])
            for (month_before, before), (month, row) in zip(series, series[1:], strict=False)
            if before["value"] is not None and row["value"] is not None
            and month == _add_months(month_before, 1)]


def spc_points(monthly: dict, v: dict) -> dict[tuple, dict]:
    """A gap (a month without a value) is no point and no moving range spans it."""
    points = {}
    for (indicator, network, site), series in _series(monthly).items():
        present = [(month, row) for month, row in series if row["value"] is not None]
        if not present:
            continue
        direction = present[0][1]["improvement_direction"]
        if len(present) == 1:
            points[(indicator, present[0][0], network, site)] = _lone_point(present[0][1], v)
            continue
        # A neutral indicator is charted as if higher were better, then named "neither".
        # Months are consecutive, so the chart's NaN rows stand exactly for the gaps.
        chart = xmr_chart([np.nan if r["value"] is None else r["value"] for _, r in series],
                          direction="decrease" if direction == "decrease" else "increase",
                          shift_length=v["spc_shift_length"])
        moving = _moving_ranges(series)
        average = float(np.mean(moving)) if moving else None
        latest = present[-1][0]
        for (month, row), point in zip(series, chart.itertuples(), strict=True):
            if row["value"] is None:
                continue
            variation = point.variation
            side = (None if variation == "common_cause"
                    else _special_cause_side(variation, direction))
            if direction == "neutral" and variation != "common_cause":
                variation = "special_cause_neither"
            points[(indicator, month, network, site)] = {
                **row, "centre": point.centre,
                "lower_limit": None if average is None else point.lower_limit,
                "upper_limit": None if average is None else point.upper_limit,
                "lower_near": None if average is None else point.lower_near,
                "upper_near": None if average is None else point.upper_near,
                "average_moving_range": average,
                "points_in_chart": len(present),
                "is_trial_limits": len(present) < v["spc_min_points_for_limits"],
                "is_degenerate": average is None or average == 0.0,
                "rule_astronomical": bool(point.rule_astronomical),
                "rule_trend": bool(point.rule_trend),
                "rule_two_of_three": bool(point.rule_two_of_three),
                "rule_shift": bool(point.rule_shift),
                "special_cause_side": side, "variation": variation,
                "is_latest_point": month == latest}
    return points


def _lone_point(row: dict, v: dict) -> dict:
    """A chart of one point: its value is the centre, and it has no limits."""
    return {**row, "centre": row["value"], "lower_limit": None, "upper_limit": None,
            "lower_near": None, "upper_near": None, "average_moving_range": None,
            "points_in_chart": 1, "is_trial_limits": 1 < v["spc_min_points_for_limits"],
            "is_degenerate": True, "rule_astronomical": False, "rule_trend": False,
            "rule_two_of_three": False, "rule_shift": False, "special_cause_side": None,
            "variation": "common_cause", "is_latest_point": True}


def _special_cause_side(variation: str, direction: str) -> str:
    improvement = variation == "special_cause_improvement"
    if direction == "decrease":
        return "low" if improvement else "high"
    return "high" if improvement else "low"


ICONS = {"special_cause_improvement": "improvement", "special_cause_concern": "concern",
         "special_cause_neither": "neither"}


def spc_summary(points: dict) -> dict[tuple, dict]:
    charts = defaultdict(list)
    for (indicator, month, network, site), row in points.items():
        charts[(indicator, network, site)].append((month, row))
    summary = {}
    for key, rows in charts.items():
        rows.sort(key=lambda r: r[0])
        month, last = rows[-1]
        icon = ("common_cause" if last["variation"] == "common_cause"
                else f"{ICONS[last['variation']]}_{last['special_cause_side']}")
        summary[key] = {
            "indicator_label": last["indicator_label"], "indicator_unit": last["indicator_unit"],
            "improvement_direction": last["improvement_direction"],
            "target_value": last["target_value"], "first_month": rows[0][0],
            "latest_month": month, "points_in_chart": last["points_in_chart"],
            "latest_value": last["value"], "latest_numerator": last["numerator"],
            "latest_denominator": last["denominator"],
            "centre": last["centre"], "lower_limit": last["lower_limit"],
            "upper_limit": last["upper_limit"], "is_trial_limits": last["is_trial_limits"],
            "latest_variation": last["variation"], "variation_icon": icon,
            "assurance_icon": _assurance(last)}
    return summary


def _assurance(last: dict) -> str | None:
    if (last["target_value"] is None or last["improvement_direction"] == "neutral"
            or last["lower_limit"] is None):
        return None
    return assurance(last["lower_limit"], last["upper_limit"], last["target_value"],
                     last["improvement_direction"])


def funnel(monthly: dict, v: dict) -> dict[tuple, dict]:
    by_indicator = defaultdict(list)
    for (indicator, month, network, site), row in monthly.items():
        if row["indicator_unit"] == "proportion" and not network:
            by_indicator[indicator].append((month, site, row))
    out = {}
    for indicator, rows in by_indicator.items():
        valued = [month for month, _, row in rows if row["value"] is not None]
        if not valued:
            continue
        end = max(valued)
        start = _add_months(end, 1 - v["funnel_months"])
        sums = defaultdict(lambda: [0, 0])
        for month, site, row in rows:
            if month >= start:
                sums[site][0] += row["numerator"]
                sums[site][1] += row["denominator"]
        sites = sorted(s for s, (_, d) in sums.items() if d > 0)
        x = np.array([sums[s][0] for s in sites], dtype=float)
        n = np.array([sums[s][1] for s in sites], dtype=float)
        target = x.sum() / n.sum()
        spread = funnels.proportion_overdispersion(x, n)
        limits = {}
        for name, probability in (("95", funnels.ALERT), ("998", funnels.ALARM)):
            limits[f"lower_{name}"], limits[f"upper_{name}"] = funnels.proportion_limits(
                target, n, probability)
            (limits[f"adjusted_lower_{name}"],
             limits[f"adjusted_upper_{name}"]) = funnels.overdispersed_proportion_limits(
                target, n, spread.tau2, probability)
        outlier = funnels.is_outlier(x / n, limits["adjusted_lower_998"],
                                     limits["adjusted_upper_998"])
        about = rows[0][2]
        for i, site in enumerate(sites):
            p = x[i] / n[i]
            judgement = None
            if outlier[i]:
                high = p > limits["adjusted_upper_998"][i]
                judgement = ("different" if about["improvement_direction"] == "neutral"
                             else "better" if high == (about["improvement_direction"] == "increase")
                             else "worse")
            out[(indicator, site)] = {
                "indicator_label": about["indicator_label"],
                "improvement_direction": about["improvement_direction"],
                "period_start": start, "period_end": end,
                "numerator": int(x[i]), "denominator": int(n[i]), "proportion": float(p),
                "target_proportion": float(target), "sites_compared": len(sites),
                **{k: float(limit[i]) for k, limit in limits.items()},
                "z_score": float(spread.z[i]), "phi": spread.phi, "tau2": spread.tau2,
                "is_outlier": bool(outlier[i]), "outlier_judgement": judgement}
    return out
