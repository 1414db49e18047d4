"""The dbt project: it builds with its data and unit tests, documents itself, and its marts
agree with the extracts."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date, datetime, timedelta

import duckdb
import yaml
from support.dashboard_reads import marts_read_by, pages
from support.paths import ROOT

from carepath.pipeline import run_pipeline
from carepath.publish.disclosure_declarations import load_declarations
from carepath.settings import load_settings
from carepath.transform.dbt_build import run_dbt

DBT_PROJECT = ROOT / "dbt_project"
# Every model under models/marts/ is a mart: published, documented, declared for disclosure;
# except the QI marts' steps (models/marts/qi/steps/, schema qi_steps), which are not published.
MARTS = tuple(sorted(path.stem for path in (DBT_PROJECT / "models" / "marts").rglob("*.sql")
                     if "steps" not in path.parts))



def _rows(con, sql, params=None):
    return con.execute(sql, params or []).fetchall()


def test_build_ran_the_data_tests(pipeline_run):
    _, summary = pipeline_run
    build = summary.build
    assert build is not None and build.success, build and build.failures
    assert build.counts.get("test:pass", 0) >= 20
    assert build.tests_failed == 0
    # Unit tests pin the logic, not the data: the pipeline's builds leave them to this suite.
    assert "unit_test:pass" not in build.counts


def test_every_unit_test_passes(pipeline_run):
    settings, _ = pipeline_run
    # Each model's unit tests sit in its own yml, beside its columns.
    unit_tests = sum(len(yaml.safe_load(p.read_text()).get("unit_tests") or [])
                     for p in DBT_PROJECT.glob("models/**/*.yml"))
    assert unit_tests >= 19
    report = run_dbt(settings, "test", "--select", "test_type:unit", echo=False)
    assert report.success, report.failures
    assert report.counts.get("unit_test:pass", 0) == unit_tests


def test_marts_are_published_in_schema_marts_and_not_empty(pipeline_run):
    settings, _ = pipeline_run
    con = duckdb.connect(str(settings.published_path), read_only=True)
    try:
        for mart in MARTS:
            assert _rows(con, f"select count(*) from marts.{mart}")[0][0] > 0, mart
    finally:
        con.close()


def test_docs_generate_writes_a_catalog_of_the_marts(pipeline_run):
    settings, _ = pipeline_run
    report = run_dbt(settings, "docs", "generate", echo=False)
    assert report.success, report.failures
    catalog = json.loads((settings.data_dir / "dbt" / "target" / "catalog.json").read_text())
    documented = {node["metadata"]["name"] for node in catalog["nodes"].values()}
    assert set(MARTS) <= documented


def _published_mart_columns(settings) -> list[tuple]:
    """(table, column) of every mart in the published copy."""
    con = duckdb.connect(str(settings.published_path), read_only=True)
    try:
        return _rows(con, """select table_name, column_name from information_schema.columns
                             where table_schema = 'marts'""")
    finally:
        con.close()


def test_every_mart_column_is_documented(pipeline_run):
    """Analysts and QI leads read the marts through dbt docs: no column may go unexplained."""
    settings, _ = pipeline_run
    manifest = json.loads((settings.data_dir / "dbt" / "target" / "manifest.json").read_text())
    documented = {node["name"]: {c for c, col in node["columns"].items() if col["description"]}
                  for node in manifest["nodes"].values()
                  if node["resource_type"] == "model" and node["schema"] == "marts"}
    columns = _published_mart_columns(settings)
    assert {table for table, _ in columns} == set(MARTS)
    undocumented = sorted((t, c) for t, c in columns if c not in documented.get(t, set()))
    assert undocumented == []


def test_every_published_column_declares_its_disclosure_role(pipeline_run):
    """What may leave the service is decided by the marts' declarations (issue 25): a column
    without one would be withheld from a published audience, so none may be missing, and a
    declared column must exist."""
    settings, _ = pipeline_run
    declarations = load_declarations(settings.dbt_project_dir / "models" / "marts")
    columns = _published_mart_columns(settings)
    assert set(declarations) == set(MARTS)
    undeclared = sorted((t, c) for t, c in columns if c not in declarations[t].columns)
    assert undeclared == []
    built = {}
    for table, column in columns:
        built.setdefault(table, set()).add(column)
    assert {t: set(d.columns) for t, d in declarations.items()} == built
    listings = {t for t, d in declarations.items() if d.audience == "operational"}
    assert {"fct_waiting_list", "fct_referral_latency", "fct_quarantined_rows"} <= listings
    assert all(d.audience == "operational" for d in declarations.values()
               if any(r.kind == "identifier" for r in d.columns.values()))


def _latest_referrals(landing, site):
    latest = {}
    for path in sorted((landing / site / "referrals").glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                latest[row["referral_id"]] = row  # newest delivery wins
    return latest


def test_stage_latencies_match_a_recomputation_from_the_files(pipeline_run):
    settings, _ = pipeline_run
    latest = _latest_referrals(settings.landing_dir, "ASH")

    def days(a, b):
        if not a or not b:
            return None
        return (datetime.fromisoformat(b).date() - datetime.fromisoformat(a).date()).days

    con = duckdb.connect(str(settings.published_path), read_only=True)
    try:
        mart = {r[0]: r[1:] for r in _rows(con, """
            select referral_id, days_referral_to_receipt, days_receipt_to_triage,
                   days_receipt_to_first_seen, received_month
            from marts.fct_referral_latency where site_code = 'ASH'""")}
    finally:
        con.close()
    assert set(mart) == set(latest)
    for rid, row in latest.items():
        month = date.fromisoformat(row["received_at"][:7] + "-01") if row["received_at"] else None
        expected = (days(row["referred_at"], row["received_at"]),
                    days(row["received_at"], row["triaged_at"]),
                    days(row["received_at"], row["first_seen_at"]), month)
        assert mart[rid] == expected, rid


def test_a_failing_data_test_stops_publication(pipeline_run, tmp_path):
    """A build whose tests fail must leave the dashboard's published copy untouched."""
    settings, _ = pipeline_run
    broken = load_settings(tmp_path / "data")
    shutil.copytree(settings.data_dir, broken.data_dir,
                    ignore=shutil.ignore_patterns("dbt"))
    before = broken.published_path.read_bytes()
    con = duckdb.connect(str(broken.warehouse_path))
    try:
        # A row that never passed the gate: triaged three days before it was received.
        con.execute("""insert into raw.referrals
                       select * replace ('INJECTED' as referral_id,
                                         received_at - interval 3 day as triaged_at)
                       from raw.referrals where triaged_at is not null limit 1""")
    finally:
        con.close()
    summary = run_pipeline(broken, force_build=True)
    assert not summary.ok
    assert any("non_negative_fct_referral_latency_days_receipt_to_triage" in e
               for e in summary.errors), summary.errors
    assert broken.published_path.read_bytes() == before


def test_delivery_marts_flag_the_planted_gaps(pipeline_run):
    settings, summary = pipeline_run
    truth = json.loads((settings.landing_dir / "ground_truth.json").read_text())
    con = duckdb.connect(str(settings.published_path), read_only=True)
    try:
        missing = _rows(con, """select site_code, extract from marts.fct_delivery_schedule
                                where is_missing group by all order by all""")
        late = _rows(con, "select distinct site_code, extract from marts.fct_delivery_schedule "
                          "where is_late")
        files = _rows(con, "select count(*), sum(rows_loaded), sum(rows_quarantined) "
                           "from marts.fct_deliveries")[0]
    finally:
        con.close()
    assert missing == sorted({(g["site_code"], g["extract"]) for g in truth["missing_deliveries"]})
    assert late == [("DEN", "outcomes")]
    assert files == (len(summary.load.files), summary.load.rows_loaded,
                     summary.load.rows_quarantined)


def test_data_docs_are_built_for_the_load(pipeline_run):
    settings, _ = pipeline_run
    docs = settings.gx_dir / "data_docs"
    assert (docs / "index.html").exists()
    pages = {p.parts[len(docs.parts) + 1] for p in (docs / "validations").rglob("*.html")}
    assert pages == {"referrals_gate", "sessions_gate", "outcomes_gate"}


def test_unit_test_fixtures_state_the_seeded_scoring_rules():
    """The questionnaire unit test reads the scoring rules from fixtures; they must be the
    seeds' rules, or the test would pass against rules the pipeline does not use."""
    for name in ("questionnaire_items", "questionnaire_scales"):
        seed = (DBT_PROJECT / "seeds" / f"{name}.csv").read_text()
        fixture = (DBT_PROJECT / "tests" / "fixtures" / f"{name}_published.csv").read_text()
        assert fixture == seed, name


def test_scoring_seeds_carry_the_published_item_rules():
    with (DBT_PROJECT / "seeds" / "questionnaire_items.csv").open(newline="") as fh:
        items = list(csv.DictReader(fh))
    ntx = [i for i in items if i["instrument"] == "fact_gog_ntx"]
    assert [i["item_code"] for i in ntx] == ["Ntx1", "Ntx2", "Ntx3", "Ntx4", "Ntx5", "HI12",
                                              "Ntx6", "Ntx7", "Ntx8", "Ntx9", "An6"]
    assert {(i["is_reverse_scored"], i["item_min"], i["item_max"]) for i in ntx} == {
        ("true", "0", "4")}
    cipn = {int(i["item_position"]): i["scale"] for i in items
            if i["instrument"] == "eortc_cipn20"}
    assert sorted(p for p, s in cipn.items() if s == "sensory") == [1, 2, 3, 4, 5, 6, 9, 10, 18]
    assert sorted(p for p, s in cipn.items() if s == "motor") == [7, 8, 11, 12, 13, 14, 15, 19]
    assert sorted(p for p, s in cipn.items() if s == "autonomic") == [16, 17, 20]


def test_census_date_var_reruns_the_audit_as_at_a_past_date(pipeline_run, tmp_path):
    """census_as_of_date is the documented way to audit as at a past date: the build with it
    must pass its tests and take it as the newest census."""
    settings, _ = pipeline_run
    copy = load_settings(tmp_path / "data")
    shutil.copytree(settings.data_dir, copy.data_dir, ignore=shutil.ignore_patterns("dbt"))
    con = duckdb.connect(str(copy.warehouse_path), read_only=True)
    try:
        newest = _rows(con, "select max(census_date) "
                            "from intermediate.int_census_dates_generated")[0][0]
    finally:
        con.close()
    as_at = date(newest.year, newest.month, 15) - timedelta(days=60)
    report = run_dbt(copy, "build", "--vars", f"{{census_as_of_date: '{as_at}'}}", echo=False)
    assert report.success, report.failures
    con = duckdb.connect(str(copy.warehouse_path), read_only=True)
    try:
        censuses = _rows(con, """select census_date, is_as_of_date
                                 from intermediate.int_census_dates_generated
                                 order by census_date""")
        waiting_after = _rows(con, """select count(*) from marts.fct_waiting_list
                                      where census_date > ?""", [as_at])[0][0]
    finally:
        con.close()
    assert censuses[-1] == (as_at, True)
    assert all(c < as_at and not latest for c, latest in censuses[:-1])
    assert waiting_after == 0


def test_every_dashboard_page_is_an_exposure_naming_the_marts_it_reads(pipeline_run):
    """dbt's lineage reaches the dashboard: each page is an exposure whose marts are the ones
    its code reads (support.dashboard_reads), so dbt docs show what a model change can reach."""
    settings, _ = pipeline_run
    manifest = json.loads((settings.data_dir / "dbt" / "target" / "manifest.json").read_text())
    exposures = {e["name"]: {node.split(".")[-1] for node in e["depends_on"]["nodes"]}
                 for e in manifest["exposures"].values()}
    for page in pages():
        name = f"dashboard_{page.stem}"
        assert name in exposures, f"add the exposure {name} to dbt_project/models/exposures.yml"
        read = marts_read_by(page)
        assert read, page
        missing, extra = read - exposures[name], exposures[name] - read
        assert not missing and not extra, (f"{name} in dbt_project/models/exposures.yml: add "
                                           f"{sorted(missing)}, remove {sorted(extra)}")
