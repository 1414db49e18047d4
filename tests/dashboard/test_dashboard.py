"""The Streamlit dashboard, run by Streamlit's AppTest against the test pipeline's marts."""

from __future__ import annotations

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from carepath import marts_queries as q

APP = str(ROOT / "dashboard" / "app.py")


@pytest.fixture
def app(pipeline_run, monkeypatch) -> tuple[AppTest, object]:
    settings, _ = pipeline_run
    monkeypatch.setenv("CAREPATH_DATA_DIR", str(settings.data_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    return at, settings


def test_overview_renders_without_exceptions(app):
    at, _ = app
    assert not at.exception
    assert at.title[0].value == "Oncology to rehabilitation: where patients wait"


def test_headline_metrics_are_the_marts_figures(app):
    at, settings = app
    head = q.headline(settings.published_path)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Referrals received"] == f"{head.referrals_received:,}"
    assert metrics["Seen"] == f"{head.referrals_seen:,}"
    assert metrics["Seen within target"] == f"{100 * head.pct_seen_within_target:.1f}%"
    assert metrics["Attendance rate"] == f"{100 * head.attendance_rate:.1f}%"
    assert head.referrals_seen < head.referrals_received
    assert metrics["Waiting now"] == f"{head.waiting_now:,}" and head.waiting_now > 0


def test_who_is_waiting_now_lists_the_longest_waiters_first(app):
    at, settings = app
    longest = q.longest_waiters(settings.published_path)
    shown = next(df.value for df in at.dataframe if "days_waiting" in df.value.columns)
    assert list(shown.referral_id) == list(longest.referral_id)
    assert shown.days_waiting.is_monotonic_decreasing
    by_site = next(df.value for df in at.dataframe if "pathways_waiting" in df.value.columns)
    assert by_site.pathways_waiting.sum() == q.headline(settings.published_path).waiting_now


def test_site_table_shows_the_planted_bottlenecks(app):
    at, _ = app
    sites = at.dataframe[0].value.set_index("site_code")
    assert list(sites.index) == ["ASH", "BRA", "CAR", "DEN"]
    assert sites.loc["DEN", "dna_rate"] == sites["dna_rate"].max()


def test_without_published_marts_the_page_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREPATH_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert "Run the pipeline" in at.warning[0].value


def test_data_quality_page_shows_deliveries_quarantine_and_gaps(app):
    at, settings = app
    at.switch_page("data_quality.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    quarantined = q.delivery_status(settings.published_path).rows_quarantined.sum()
    assert metrics["Rows quarantined"] == f"{int(quarantined):,}" and quarantined > 0
    assert any("DEN outcomes: late" in e.value for e in at.error)
    assert any("BRA sessions: no delivery in" in w.value for w in at.warning)
    reasons = set(at.dataframe[1].value.reason)
    assert "implausible tug value (outside 1-120)" in reasons
    flagged = q.disagreeing_questionnaire_totals(settings.published_path)
    assert not flagged.empty  # the generator plants unprorated totals at ASH
    shown = next(df.value for df in at.dataframe if "scored_value" in df.value.columns)
    assert list(shown.measure_id) == list(flagged.measure_id)
