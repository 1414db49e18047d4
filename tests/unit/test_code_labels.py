"""Every code a page can show has words (seed code_labels, and the instruments seed for the
code set 'instrument'): each code set of the extract contract, and the statuses the models
derive, as their data tests accept them."""

from __future__ import annotations

import csv

import pandas as pd
import yaml
from support.paths import ROOT

from carepath.charts.labels import CodeLabels
from carepath.contract import CODE_SETS

SEEDS = ROOT / "dbt_project" / "seeds"
MODELS = ROOT / "dbt_project" / "models"


def _rows(name: str) -> list[dict]:
    with (SEEDS / f"{name}.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def _accepted(yml: str, model: str, column: str) -> set[str]:
    for m in yaml.safe_load((MODELS / yml).read_text())["models"]:
        if m["name"] != model:
            continue
        spec = next(c for c in m["columns"] if c["name"] == column)
        test = next(t for t in spec["data_tests"]
                    if isinstance(t, dict) and "accepted_values" in t)
        return set(test["accepted_values"]["arguments"]["values"])
    raise AssertionError(f"{model} not in {yml}")


def test_every_code_of_the_contract_and_every_derived_status_has_words():
    labelled = {(r["code_set"], r["code"]) for r in _rows("code_labels")}
    wanted = {(s, code) for s, codes in CODE_SETS.items() if s != "instrument" for code in codes}
    wanted |= {("pathway_status", c) for c in _accepted(
        "intermediate/int_referrals_with_rtt_clock.yml", "int_referrals_with_rtt_clock",
        "pathway_status")}
    wanted |= {("programme_status", c) for c in _accepted(
        "marts/adherence/fct_adherence.yml", "fct_adherence", "programme_status")}
    assert wanted - labelled == set()
    assert labelled - wanted == set(), "a label for a code nothing holds"
    assert not {s for s, _ in labelled} & {"instrument"}, "instruments are named in their seed"
    assert {r["instrument"] for r in _rows("instruments")} == set(CODE_SETS["instrument"])


def test_a_label_reads_as_words_and_back():
    labels = CodeLabels(pd.DataFrame([
        {"code_set": "priority", "code": "routine", "label": "Routine"},
        {"code_set": "instrument", "code": "eortc_cipn20",
         "label": "EORTC QLQ-CIPN20 sensory scale"},
    ]))
    assert labels.label("instrument", "eortc_cipn20") == "EORTC QLQ-CIPN20 sensory scale"
    assert labels.label("priority", "routine") == "Routine"
    assert labels.code("priority", "Routine") == "routine"
    assert labels.label("referral_reason", "falls_risk") == "Falls risk"  # none known: its words
    assert labels.label("priority", None) is None
    frame = labels.columns(pd.DataFrame({"priority": ["routine"], "n": [3]}), priority="priority")
    assert frame.to_dict("records") == [{"priority": "Routine", "n": 3}]
