"""The Streamlit dashboard, run by Streamlit's AppTest against the test pipeline's marts.

The figures on the pages are checked against the independent recomputation from the raw tables
(tests/recompute_marts.py), not against the marts they are read from: a tile that showed the
wrong column, or a mart that computed a wrong number, fails here.
"""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from support.dashboard_modules import load
from support.paths import ROOT
from support.recompute_marts import recompute_from_warehouse

from carepath.publish import reader

APP = str(ROOT / "dashboard" / "app.py")
SPC_CHARTS = load("spc_charts")


@pytest.fixture
def app(pipeline_run, monkeypatch) -> tuple[AppTest, object]:
    settings, _ = pipeline_run
    monkeypatch.setenv("CAREPATH_DATA_DIR", str(settings.data_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    return at, settings


@pytest.fixture(scope="module")
def recomputed(pipeline_run) -> dict:
    settings, _ = pipeline_run
    return recompute_from_warehouse(settings)


def test_overview_renders_without_exceptions(app):
    at, _ = app
    assert not at.exception
    assert at.title[0].value == "Oncology to rehabilitation: where patients wait"


def test_headline_tiles_are_the_recomputed_network_figures(app, recomputed):
    at, _ = app
    network = recomputed["fct_site_performance"][(True, None)]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Referrals received"] == f"{network['referrals_received']:,}"
    assert metrics["Seen"] == f"{network['referrals_seen']:,}"
    assert metrics["Seen within target"] == f"{100 * network['prop_seen_within_target']:.1f}%"
    assert metrics["Median access wait (days)"] == f"{network['median_days_rtt_wait']:,.0f}"
    assert metrics["Sessions attended"] == f"{100 * network['prop_sessions_attended']:.1f}%"
    assert metrics["Responders (MCID)"] == f"{100 * network['prop_pairs_responding']:.1f}%"
    assert network["referrals_seen"] < network["referrals_received"]
    assert metrics["Waiting now"] == f"{network['pathways_waiting']:,}"
    assert network["pathways_waiting"] > 0


def test_the_site_table_adds_up_to_the_tiles(app):
    at, _ = app
    metrics = {m.label: m.value for m in at.metric}
    sites = at.dataframe[0].value
    # DuckDB sums integers as HUGEINT, which pandas holds as float: compare whole numbers.
    assert f"{int(sites.referrals_received.sum()):,}" == metrics["Referrals received"]
    assert f"{int(sites.referrals_seen.sum()):,}" == metrics["Seen"]


def test_who_is_waiting_now_lists_the_longest_waiters_first(app, recomputed):
    at, _ = app
    shown = next(df.value for df in at.dataframe if "days_waiting" in df.value.columns)
    assert shown.days_waiting.is_monotonic_decreasing
    waiting = recomputed["fct_waiting_list"]
    longest = sorted(((row["days_waiting"], key[1], key[2]) for key, row in waiting.items()
                      if row["is_as_of_date"]), key=lambda t: (-t[0], t[1], t[2]))[:len(shown)]
    assert list(shown.referral_id) == [rid for _, _, rid in longest]
    by_site = next(df.value for df in at.dataframe if "pathways_waiting" in df.value.columns)
    network = recomputed["fct_site_performance"][(True, None)]
    assert by_site.pathways_waiting.sum() == network["pathways_waiting"]


def test_site_table_shows_the_planted_bottlenecks(app):
    at, settings = app
    truth = json.loads((settings.landing_dir / "ground_truth.json").read_text())
    planted = {b["kind"]: b["site_code"] for b in truth["bottlenecks"]}
    sites = at.dataframe[0].value.set_index("site_code")
    assert list(sites.index) == ["ASH", "BRA", "CAR", "DEN"]
    assert sites.loc[planted["high_dna_rate"], "prop_sessions_did_not_attend"] == \
        sites["prop_sessions_did_not_attend"].max()
    assert sites.loc[planted["triage_backlog"], "median_days_receipt_to_triage"] == \
        sites["median_days_receipt_to_triage"].max()


def test_bottlenecks_are_the_finders_ranked_findings_each_with_its_chart(app):
    at, settings = app
    findings = reader.bottlenecks(settings.published_path)
    assert not findings.empty, "the demo's plants should give the finder something to rank"
    shown = next(df.value for df in at.dataframe if "evidence" in df.value.columns)
    assert shown.evidence.tolist() == findings.evidence.tolist()
    assert shown.rank_overall.tolist() == list(range(1, len(findings) + 1))
    for index in range(len(findings)):
        at.selectbox[0].select_index(index).run()
        assert not at.exception
        site, indicator = findings.site_code[index], findings.indicator_id[index]
        caption = next(c.value for c in at.caption if ": XmR chart" in c.value)
        assert caption.startswith(f"{site}, {findings.indicator_label[index]}")
        summary = reader.spc_summary(settings.published_path, site, indicator)
        icons = next(m.value for m in at.markdown if "<img" in m.value)
        _, label = SPC_CHARTS.variation_icon(summary.variation_icon.iloc[0])
        assert f'alt="{label}"' in icons


def test_without_published_marts_the_page_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREPATH_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert "Run the pipeline" in at.warning[0].value


@pytest.mark.parametrize("damage", ["garbage", "older_release"])
def test_a_damaged_or_outdated_published_copy_gets_a_message_not_a_traceback(
        pipeline_run, tmp_path, monkeypatch, damage):
    settings, _ = pipeline_run
    published = tmp_path / "published.duckdb"
    if damage == "garbage":
        published.write_bytes(b"not a database" * 100)
    else:  # a copy without a mart the page reads, as an older release published it
        shutil.copy(settings.published_path, published)
        con = duckdb.connect(str(published))
        con.execute("drop table marts.fct_bottlenecks")
        con.close()
    monkeypatch.setenv("CAREPATH_DATA_DIR", str(tmp_path))
    for page in ("views/overview.py", "views/data_quality.py"):
        at = AppTest.from_file(APP, default_timeout=60)
        at.run()
        if page != "views/overview.py":
            at.switch_page(page).run()
        assert not at.exception
        if damage == "garbage" or page == "views/overview.py":
            assert "cannot be read" in at.error[0].value


def test_data_quality_page_shows_deliveries_quarantine_and_gaps(app):
    at, settings = app
    at.switch_page("views/data_quality.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    per_stream = next(df.value for df in at.dataframe if "missing_months" in df.value.columns)
    quarantined = int(per_stream.rows_quarantined.sum())
    assert metrics["Rows quarantined"] == f"{quarantined:,}" and quarantined > 0
    assert metrics["Files loaded"] == f"{int(per_stream.files_loaded.sum()):,}"
    assert any("DEN outcomes: late" in e.value for e in at.error)
    assert any("BRA sessions: no delivery in" in w.value for w in at.warning)
    reasons = set(at.dataframe[1].value.reason)
    assert "implausible tug value (outside 1-120)" in reasons
    flagged = reader.disagreeing_questionnaire_totals(settings.published_path)
    assert not flagged.empty  # the generator plants unprorated totals at ASH
    shown = next(df.value for df in at.dataframe if "scored_value" in df.value.columns)
    assert list(shown.measure_id) == list(flagged.measure_id)


@pytest.mark.parametrize("page", ["views/overview.py", "views/data_quality.py"])
def test_every_table_has_its_own_csv_download_and_streamlits_export_is_off(app, page):
    at, _ = app
    at.switch_page(page).run()
    assert not at.exception
    downloads = [b for b in at.get("download_button") if b.proto.label == "Download CSV"]
    assert len(at.dataframe) > 0
    assert len(downloads) == len(at.dataframe), "every table needs its formula-safe download"
    # Streamlit's own CSV export writes cells unneutralised; the app turns it off.
    assert st.get_option("client.disableDataExport") is True
