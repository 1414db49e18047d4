"""Every dbt data test on a model is made unreachable by the gate or guaranteed by the models:
expectations/dbt_test_coverage.yml says which, and this holds it to the dbt project and the
suites, so that a new dbt test or a renamed gate rule cannot slip past unexplained."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml
from support.paths import BIN, ROOT

from carepath.validate.gate import rule_name

COVERAGE = ROOT / "expectations" / "dbt_test_coverage.yml"


@pytest.fixture(scope="module")
def model_tests(tmp_path_factory) -> set[str]:
    """`<model>.<test>(<columns>)` for every data test dbt finds on a model (not seeds)."""
    target = tmp_path_factory.mktemp("dbt_parse")
    project = ROOT / "dbt_project"
    env = {**os.environ, "CAREPATH_DUCKDB_PATH": str(target / "parse.duckdb")}
    subprocess.run([str(BIN / "dbt"), "parse", "--project-dir", str(project), "--profiles-dir",
                    str(project), "--target-path", str(target), "--log-path", str(target)],
                   env=env, check=True, capture_output=True)
    manifest = json.loads((target / "manifest.json").read_text())
    keys = set()
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not (node.get("attached_node") or "").startswith(
                "model."):
            continue
        meta = node["test_metadata"]
        columns = node.get("column_name") or ", ".join(meta["kwargs"].get("columns") or [])
        model = node["attached_node"].split(".")[-1]
        keys.add(f"{model}.{meta['name']}({columns})" if columns else f"{model}.{meta['name']}")
    return keys


def _gate_rules() -> set[str]:
    rules = set()
    for suite in (ROOT / "expectations").glob("*.json"):
        for e in json.loads(suite.read_text())["expectations"]:
            rules.add(rule_name(e["type"], e["kwargs"], e.get("meta")))
    return rules


def test_every_model_data_test_is_accounted_for(model_tests):
    coverage = yaml.safe_load(COVERAGE.read_text())
    assert model_tests, "dbt found no data tests"
    assert sorted(model_tests - set(coverage)) == [], "dbt tests missing from the coverage map"
    assert sorted(set(coverage) - model_tests) == [], "coverage map names tests dbt lacks"


def test_every_gate_rule_named_exists_and_every_entry_says_why():
    coverage = yaml.safe_load(COVERAGE.read_text())
    rules = _gate_rules()
    for test, entry in coverage.items():
        assert set(entry) <= {"gate", "by_model"} and entry, test
        assert set(entry.get("gate", [])) <= rules, (test, set(entry["gate"]) - rules)
        if "by_model" in entry:
            assert len(entry["by_model"]) > 15, f"{test}: say why the models guarantee it"
