"""The analyst's guide, followed as written (docs/guides/analyst.md, "Adding a metric").

The files the guide shows are taken from the page itself, written into a copy of the dbt
project, and built with `carepath dbt build --select` on a copy of the suite's demo warehouse,
as an analyst would after `make demo`. A guide whose SQL, yml or coverage lines stopped
working, or whose mart were not declared for disclosure, fails here; and its figures are
checked against a count of the referrals' own days to triage.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import duckdb
import pandas as pd
import pytest
import yaml
from support.paths import BIN, ROOT

from carepath.publish import reader
from carepath.publish.disclosure_declarations import load_declarations

GUIDE = ROOT / "docs" / "guides" / "analyst.md"
MART = "fct_triage_monthly"
# A repository path in backticks and a colon, then a fenced block: the file the guide writes.
FILE_BLOCK = re.compile(
    r"`(?P<path>[\w/.-]+)`:\n\n(?P<indent> *)```\w+\n(?P<body>.*?)\n(?P=indent)```", re.S)
BLOCK = re.compile(r"^(?P<indent> *)```(?P<lang>\w+)\n(?P<body>.*?)\n(?P=indent)```", re.S | re.M)


def _dedent(body: str, indent: str) -> str:
    return "\n".join(line.removeprefix(indent) for line in body.splitlines()) + "\n"


def _guide() -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The files the guide writes, by path; and every fenced block, as (language, text)."""
    text = GUIDE.read_text()
    files = {m["path"]: _dedent(m["body"], m["indent"]) for m in FILE_BLOCK.finditer(text)}
    blocks = [(m["lang"], _dedent(m["body"], m["indent"])) for m in BLOCK.finditer(text)]
    return files, blocks


@pytest.fixture(scope="module")
def followed(pipeline_run, tmp_path_factory):
    """A project and a warehouse where the guide's steps 1 to 4 were followed."""
    settings, _ = pipeline_run
    files, blocks = _guide()
    project = tmp_path_factory.mktemp("analyst") / "project"
    shutil.copytree(ROOT / "dbt_project", project / "dbt_project",
                    ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    shutil.copytree(ROOT / "expectations", project / "expectations")
    for path, body in files.items():
        assert not (ROOT / path).exists(), f"the guide's example {path} is in the repository"
        (project / path).write_text(body)
    [coverage] = [body for lang, body in blocks if lang == "yaml" and body.startswith(MART)]
    with (project / "expectations" / "dbt_test_coverage.yml").open("a") as out:
        out.write(coverage)
    data = tmp_path_factory.mktemp("analyst") / "data"
    data.mkdir()
    shutil.copy(settings.warehouse_path, data / "warehouse.duckdb")
    env = {**os.environ, "CAREPATH_PROJECT_DIR": str(project), "CAREPATH_DATA_DIR": str(data)}
    result = subprocess.run([str(BIN / "carepath"), "dbt", "build", "--select", MART],
                            env=env, capture_output=True, text=True, timeout=600)
    return project, data, files, blocks, result


def test_the_guide_writes_a_model_its_yml_and_its_coverage(followed):
    _, _, files, blocks, _ = followed
    assert sorted(files) == [f"dbt_project/models/marts/access/{MART}.sql",
                             f"dbt_project/models/marts/access/{MART}.yml"]
    assert any(lang == "yaml" and body.startswith(MART) for lang, body in blocks)


def test_carepath_dbt_builds_the_guides_mart_with_its_tests_and_unit_test(followed):
    _, _, _, _, result = followed
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    output = result.stdout
    assert re.search(rf"OK created sql table model marts\.{MART}", output), output[-2000:]
    # Its unit test and its two data tests ran and passed.
    passed = re.findall(r"PASS (\S+)", output)
    assert sorted(p for p in passed if MART in p) == [
        f"between_zero_and_one_{MART}_prop_triaged_within_7_days",
        f"{MART}::triage_monthly_counts_7_days_as_within_and_leaves_out_the_untriaged",
        f"unique_combination_{MART}_site_code__month_received"], output[-2000:]
    assert "Completed successfully" in output


def test_the_guides_mart_counts_what_the_referrals_days_to_triage_say(followed, pipeline_run):
    _, data, _, _, _ = followed
    settings, _ = pipeline_run
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        built = con.execute(f"select * from marts.{MART}").df()
    finally:
        con.close()
    latency = reader._select(settings.published_path,
                             "select site_code, received_month, days_receipt_to_triage "
                             "from fct_referral_latency")
    triaged = latency.dropna(subset=["days_receipt_to_triage"])
    expected = (triaged.assign(within=triaged.days_receipt_to_triage <= 7)
                .groupby(["site_code", "received_month"])
                .agg(referrals_triaged=("within", "size"),
                     referrals_triaged_within_7_days=("within", "sum"))
                .reset_index().rename(columns={"received_month": "month_received"}))
    merged = built.merge(expected, on=["site_code", "month_received"], how="outer",
                         suffixes=("", "_expected"), indicator=True)
    assert (merged._merge == "both").all() and len(merged) > 10
    assert (merged.referrals_triaged == merged.referrals_triaged_expected).all()
    assert (merged.referrals_triaged_within_7_days
            == merged.referrals_triaged_within_7_days_expected).all()
    assert 0 < merged.referrals_triaged_within_7_days.sum() < merged.referrals_triaged.sum()
    assert merged.prop_triaged_within_7_days.tolist() == pytest.approx(
        (merged.referrals_triaged_within_7_days / merged.referrals_triaged).tolist())


def test_the_guides_mart_declares_every_column_for_disclosure(followed):
    project, data, _, _, _ = followed
    declarations = load_declarations(project / "dbt_project" / "models" / "marts")
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        columns = {c for (c,) in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = ?", [MART]).fetchall()}
    finally:
        con.close()
    assert declarations[MART].audience == "published"
    assert set(declarations[MART].columns) == columns


def test_the_guides_reader_query_selects_the_mart(followed):
    """Step 5's query, as the guide writes it, run in reader's own namespace."""
    _, data, _, blocks, _ = followed
    [query] = [body for lang, body in blocks if lang == "python" and body.startswith("def ")]
    namespace = dict(vars(reader))
    exec(query, namespace)  # noqa: S102 - the guide's own code, run as an analyst would paste it
    every = namespace["triage_monthly"](data / "warehouse.duckdb")
    first = pd.Timestamp(every.month_received.min()).date()
    one = namespace["triage_monthly"](data / "warehouse.duckdb",
                                      reader.Selection(sites=("DEN",), month_from=first,
                                                       month_to=first))
    assert len(every) > 10 and set(every.columns) >= {"referrals_triaged",
                                                      "prop_triaged_within_7_days"}
    assert not one.empty and set(one.site_code) == {"DEN"}
    assert set(pd.to_datetime(one.month_received)) == {pd.Timestamp(first)}


def test_the_guide_yml_is_valid_yaml_with_a_unit_test(followed):
    _, _, files, _, _ = followed
    doc = yaml.safe_load(files[f"dbt_project/models/marts/access/{MART}.yml"])
    assert [t["model"] for t in doc["unit_tests"]] == [MART]
