"""The Streamlit dashboard, run by Streamlit's AppTest against the test pipeline's marts.

The figures on the pages are checked against the independent recomputation from the raw tables
(tests/recompute_marts.py), not against the marts they are read from: a tile that showed the
wrong column, or a mart that computed a wrong number, fails here.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
from datetime import date

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from support.paths import ROOT
from support.recompute_marts import recompute_from_warehouse
from support.sign_in import (
    ALL_SITES_USER,
    PASSWORD,
    SITE_USER,
    SITE_USERS_SITE,
    sign_in,
    write_users_file,
)

from carepath.access import server_state
from carepath.access.throttle import LoginThrottle
from carepath.access.users import add_user
from carepath.charts import spc as spc_chart
from carepath.charts.labels import CodeLabels
from carepath.publish import reader
from carepath.publish.disclosure import COMPLEMENT
from carepath.publish.disclosure_declarations import load_declarations

APP = str(ROOT / "dashboard" / "app.py")
PAGES = ["views/overview.py", "views/bottlenecks.py", "views/referral_pathway.py",
         "views/waiting_list.py", "views/adherence.py", "views/outcomes.py",
         "views/data_quality.py"]


@pytest.fixture(autouse=True)
def users_file(dashboard_users, monkeypatch):
    monkeypatch.setenv("CAREPATH_USERS_FILE", str(dashboard_users))


def _signed_in(user: str = ALL_SITES_USER, **params) -> AppTest:
    """The app opened from a URL with these query parameters, `user` signed in."""
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return sign_in(at, user)


def _open(settings, monkeypatch, page: str = PAGES[0], user: str = ALL_SITES_USER,
          **params) -> AppTest:
    """The app on `page`, opened from a URL with these query parameters, `user` signed in."""
    monkeypatch.setenv("CAREPATH_DATA_DIR", str(settings.data_dir))
    at = _signed_in(user, **params)
    # A refused sign-in leaves the form and its reason, not the page: say so here.
    assert not any(t.key == "sign_in_name" for t in at.text_input), [e.value for e in at.error]
    if page != PAGES[0]:
        # AppTest opens the default page first, whatever the URL's path, so the parameters of
        # another page's widgets never reach them: the browser suite opens such links.
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _open_published(settings, monkeypatch, tmp_path, page: str = PAGES[0]) -> AppTest:
    """The app on `page` for a board member, a published audience."""
    monkeypatch.setenv("CAREPATH_DATA_DIR", str(settings.data_dir))
    users = write_users_file(tmp_path / "users.json")
    monkeypatch.setenv("CAREPATH_USERS_FILE", str(users))
    add_user(users, "board", None, PASSWORD, audience="published")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    sign_in(at, "board", PASSWORD)
    assert not any(t.key == "sign_in_name" for t in at.text_input), [e.value for e in at.error]
    if page != PAGES[0]:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _table(at: AppTest, column: str):
    """The first table on the page with this column."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


@pytest.fixture
def app(pipeline_run, monkeypatch) -> tuple[AppTest, object]:
    settings, _ = pipeline_run
    return _open(settings, monkeypatch), settings


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


def _whole(shown: int | str) -> int:
    """A count as a table or tile shows it (a number, or "1,234")."""
    return int(shown.replace(",", "")) if isinstance(shown, str) else int(shown)


def test_the_site_table_adds_up_to_the_tiles(app):
    at, _ = app
    metrics = {m.label: m.value for m in at.metric}
    sites = at.dataframe[0].value
    assert f"{sum(map(_whole, sites.referrals_received)):,}" == metrics["Referrals received"]
    assert f"{sum(map(_whole, sites.referrals_seen)):,}" == metrics["Seen"]


def test_who_is_waiting_now_lists_the_longest_waiters_first(app, recomputed):
    at, settings = app
    at.switch_page("views/waiting_list.py").run()
    assert not at.exception
    shown = _table(at, "days_waiting")
    assert shown.days_waiting.is_monotonic_decreasing
    waiting = recomputed["fct_waiting_list"]
    longest = sorted(((row["days_waiting"], key[1], key[2]) for key, row in waiting.items()
                      if row["is_as_of_date"]), key=lambda t: (-t[0], t[1], t[2]))[:len(shown)]
    assert list(shown.referral_id) == [rid for _, _, rid in longest]
    by_site = next(df.value for df in at.dataframe if "pathways_waiting" in df.value.columns)
    monthly = recomputed["fct_waiting_list_monthly"]
    census = max(key[0] for key in monthly)
    # Staff read every count exactly, the few urgent waiters at some sites included.
    words = CodeLabels(reader.code_labels(settings.published_path)).of("priority")
    expected = {(site, words(priority)): row["pathways_waiting"]
                for (day, site, priority), row in monthly.items() if day == census}
    shown = dict(zip(zip(by_site.site_code, by_site.priority, strict=True),
                     by_site.pathways_waiting, strict=True))
    assert shown == expected
    assert any(0 < n < 5 for n in shown.values())
    waiting = recomputed["fct_site_performance"][(True, None)]["pathways_waiting"]
    assert sum(expected.values()) == waiting


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
    at.switch_page("views/bottlenecks.py").run()
    assert not at.exception
    findings = reader.bottlenecks(settings.published_path)
    assert not findings.empty, "the demo's plants should give the finder something to rank"
    shown = next(df.value for df in at.dataframe if "evidence" in df.value.columns)
    assert shown.evidence.tolist() == findings.evidence.tolist()
    assert shown.rank_overall.tolist() == list(range(1, len(findings) + 1))
    for index in range(len(findings)):
        next(s for s in at.selectbox if s.label == "Show a finding's chart").select_index(
            index).run()
        assert not at.exception
        site, indicator = findings.site_code[index], findings.indicator_id[index]
        caption = next(c.value for c in at.caption if ": XmR chart" in c.value)
        assert caption.startswith(f"{site}, {findings.indicator_label[index]}")
        summary = reader.spc_summary(settings.published_path, site, indicator)
        icons = next(m.value for m in at.markdown if "<img" in m.value)
        _, label = spc_chart.variation_icon(summary.variation_icon.iloc[0])
        assert f'alt="{label}"' in icons
        # The chart says what the finding says: its words in full, its months shaded; the
        # icons say which month they judge.
        assert f"**The finding:** {findings.evidence[index]}" in [m.value for m in at.markdown]
        latest = reader.spc_points(settings.published_path, site, indicator).indicator_month.max()
        assert f"Latest month, {pd.Timestamp(latest):%b %Y}:" in icons
        chart = at.get("vega_lite_chart")[0].proto
        spec = json.loads(chart.spec)
        [band] = [layer for layer in spec["layer"] if layer["mark"].get("type") == "rect"]
        data = {d.name: d for d in chart.datasets}[band["data"]["name"]]
        [shaded] = pa.ipc.open_stream(data.data.data).read_all().to_pylist()
        assert (pd.Timestamp(shaded["start"]) < pd.Timestamp(findings.period_start[index])
                <= pd.Timestamp(findings.period_end[index]) < pd.Timestamp(shaded["end"]))
    assert any("judges a site against the other sites alone" in c.value for c in at.caption)


def test_without_published_marts_the_page_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREPATH_DATA_DIR", str(tmp_path))
    at = _signed_in()
    assert not at.exception
    assert "Run the pipeline" in at.warning[0].value


def test_a_postgresql_warehouse_out_of_reach_gets_a_message_not_a_traceback(tmp_path,
                                                                           monkeypatch):
    monkeypatch.setenv("CAREPATH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CAREPATH_WAREHOUSE", "postgresql://nobody@127.0.0.1:1/nowhere")
    at = _signed_in()
    assert not at.exception
    assert "cannot be reached" in at.error[0].value
    assert "postgresql://nobody@127.0.0.1:1/nowhere" in at.error[0].value


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
        con.execute("drop table marts.fct_spc_summary")
        con.close()
    monkeypatch.setenv("CAREPATH_DATA_DIR", str(tmp_path))
    for page in ("views/overview.py", "views/data_quality.py"):
        at = _signed_in()
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
    assert any("BRA sessions: no file covers" in w.value for w in at.warning)
    reasons = set(at.dataframe[1].value.reason)
    assert "implausible tug value (outside 1-120)" in reasons
    flagged = reader.disagreeing_questionnaire_totals(settings.published_path)
    assert not flagged.empty  # the generator plants unprorated totals at ASH
    shown = next(df.value for df in at.dataframe if "scored_value" in df.value.columns)
    assert list(shown.measure_id) == list(flagged.measure_id)

    # A rule's row opens the lines it holds back, read here from the gate's own table.
    rules = next(df.value for df in at.dataframe if "rule" in df.value.columns)
    _select_row(at, "quarantine-by-rule", 0)
    assert not at.exception
    lines = _table(at, "line_number")
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    held = [n for (n,) in con.execute(
        "select line_number from ops.quarantine where source_file = ? and rule = ? "
        "and released_at is null order by line_number",
        [rules.source_file.iloc[0], rules.rule.iloc[0]]).fetchall()]
    con.close()
    assert list(lines.line_number) == held and len(held) == int(rules.rows_quarantined.iloc[0])


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_and_every_table_has_its_own_csv_download(pipeline_run, monkeypatch,
                                                                     page):
    settings, _ = pipeline_run
    at = _open(settings, monkeypatch, page)
    assert at.title, "every page has a title"
    downloads = [b for b in at.get("download_button") if b.proto.label == "Download CSV"]
    assert len(at.dataframe) > 0
    assert len(downloads) == len(at.dataframe), "every table needs its formula-safe download"
    # Streamlit's own CSV export writes cells unneutralised; the app turns it off.
    assert st.get_option("client.disableDataExport") is True


def test_filters_from_a_pasted_link_narrow_every_page(pipeline_run, monkeypatch, recomputed):
    settings, _ = pipeline_run
    months = sorted({key[1] for key in recomputed["fct_monthly_indicators"]})
    start, end = months[1], months[-2]
    params = {"site": "ASH", "from": f"{start:%Y-%m}", "to": f"{end:%Y-%m}"}
    at = _open(settings, monkeypatch, **params)
    ash = recomputed["fct_site_performance"][(False, "ASH")]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Referrals received"] == f"{ash['referrals_received']:,}", \
        "with one site chosen the tiles are that site's row"
    assert list(_table(at, "referrals_seen").site_code) == ["ASH"]
    matrix = _table(at, "variation")
    assert set(matrix["where"]) == {"Network", "ASH"}
    html_matrix = next(m.value for m in at.markdown if "carepath-matrix" in m.value)
    assert f"&amp;from={start:%Y-%m}&amp;to={end:%Y-%m}" in html_matrix, \
        "a cell opens its chart over the same period"

    at.switch_page("views/referral_pathway.py").run()
    assert not at.exception
    referrals = _table(at, "days_rtt_wait")
    assert set(referrals.site_code) == {"ASH"}
    received = pd.to_datetime(referrals.received_month).dt.date
    assert received.min() >= start and received.max() <= end
    expected = sum(1 for (site, _), row in recomputed["fct_referral_latency"].items()
                   if site == "ASH" and start <= row["received_month"] <= end)
    assert len(referrals) == expected

    at.switch_page("views/waiting_list.py").run()
    assert not at.exception
    assert set(_table(at, "days_waiting").site_code) == {"ASH"}
    assert set(_table(at, "pathways_waiting").site_code) == {"ASH"}

    at.switch_page("views/data_quality.py").run()
    assert not at.exception
    assert set(_table(at, "missing_months").site_code) == {"ASH"}


def test_several_sites_have_no_tiles_rather_than_a_sum(pipeline_run, monkeypatch):
    settings, _ = pipeline_run
    at = _open(settings, monkeypatch, site=["ASH", "BRA"])
    assert len(at.metric) == 0
    assert "choose one site, or none" in at.info[0].value
    assert list(_table(at, "referrals_seen").site_code) == ["ASH", "BRA"]


def test_a_matrix_cell_links_to_its_chart(pipeline_run, monkeypatch):
    settings, _ = pipeline_run
    at = _open(settings, monkeypatch)
    matrix = next(m.value for m in at.markdown if "carepath-matrix" in m.value)
    link = ("./referral-pathway?indicator_access=Seen+within+the+priority%27s+target"
            "&amp;site=BRA")
    assert f'href="{link}"' in matrix
    summary = reader.spc_summary(settings.published_path, "BRA", "prop_seen_within_target")
    cell = matrix[matrix.index(f'href="{link}"'):].split("</td>")[0]
    _, label = spc_chart.variation_icon(summary.variation_icon.iloc[0])
    assert f'alt="{label}"' in cell
    assert f"{100 * summary.latest_value.iloc[0]:.1f}%" in cell


def test_a_proportion_has_its_xmr_chart_and_its_funnel_with_every_site(pipeline_run,
                                                                       monkeypatch):
    settings, _ = pipeline_run
    at = _open(settings, monkeypatch, "views/referral_pathway.py", site="CAR")
    at.selectbox(key="indicator_access").set_value("prop_seen_within_target").run()
    assert not at.exception
    caption = next(c.value for c in at.caption if ": XmR chart" in c.value)
    assert caption.startswith("CAR, Seen within the priority's target")
    funnel = _table(at, "judgement")
    expected = reader.funnel(settings.published_path, "prop_seen_within_target")
    assert sorted(funnel.site_code) == sorted(expected.site_code) == ["ASH", "BRA", "CAR", "DEN"]
    assert list(funnel.numerator) == list(expected.numerator)
    assert any("Funnel plot of seen within" in c.value for c in at.caption)


def test_staff_see_exact_figures_whatever_the_disclosure_policy(pipeline_run, monkeypatch):
    """The policy is for what leaves the service: with a threshold of 30, which the demo's
    sites fall under everywhere, staff still read every count, value and sentence exactly."""
    settings, _ = pipeline_run
    monkeypatch.setenv("CAREPATH_DISCLOSURE_POLICY", "threshold")
    monkeypatch.setenv("CAREPATH_DISCLOSURE_MIN_COUNT", "30")
    performance = reader.site_performance(settings.published_path)
    at = _open(settings, monkeypatch, site="DEN")
    den = performance[performance.site_code == "DEN"].iloc[0]
    metrics = {m.label: m.value for m in at.metric}
    small = 0
    for tile, count in (("Referrals received", "referrals_received"), ("Seen", "referrals_seen"),
                        ("Waiting now", "pathways_waiting")):
        assert metrics[tile] == f"{den[count]:,.0f}", tile
        small += 0 < den[count] < 30
    matrix = _table(at, "latest")
    summaries = reader.spc_summaries(settings.published_path).set_index(
        ["indicator_label", "site_code"])
    for row in matrix[matrix["where"] == "DEN"].itertuples():
        truth = summaries.loc[(row.indicator_label, "DEN")]
        if truth.indicator_unit == "count":
            assert row.latest == f"{truth.latest_value:,.0f}", row.indicator_label
            small += 0 < truth.latest_value < 30
        else:
            assert row.latest[0].isdigit(), (row.indicator_label, row.latest)
    assert small > 0, "the threshold should have had something to hide from a published user"

    every_site = _open(settings, monkeypatch, "views/bottlenecks.py")
    findings = reader.bottlenecks(settings.published_path)
    assert _table(every_site, "evidence").evidence.tolist() == findings.evidence.tolist()
    at.switch_page("views/outcomes.py").run()
    completeness = _table(at, "patients_eligible")
    truth = reader.registry_completeness(settings.published_path,
                                         reader.Selection(sites=("DEN",)))
    assert completeness.patients_eligible.tolist() == truth.patients_eligible.tolist()
    assert any(0 < n < 30 for n in truth.patients_eligible)
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, page
        for frame in (df.value for df in at.dataframe):
            for column in frame.columns:
                assert not frame[column].isin(["<30", "*", COMPLEMENT]).any(), (page, column)


OTHER_SITES = re.compile(r"\b(ASH|CAR|DEN)\b")


def _texts(at: AppTest) -> list[str]:
    """Every piece of text a page shows outside its charts, tables included."""
    texts = [e.value for kind in ("title", "subheader", "markdown", "caption", "info",
                                  "warning", "error", "success") for e in getattr(at, kind)]
    texts += [f"{m.label} {m.value}" for m in at.metric]
    texts += [str(o) for widget in (*at.selectbox, *at.multiselect) for o in widget.options]
    texts += [df.value.to_csv(index=False) for df in at.dataframe]
    return texts


def test_no_page_shows_before_sign_in_and_a_wrong_password_is_refused(pipeline_run,
                                                                       monkeypatch):
    settings, _ = pipeline_run
    monkeypatch.setenv("CAREPATH_DATA_DIR", str(settings.data_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["site"] = "BRA"
    at.run()
    assert [t.value for t in at.title] == ["carepath: sign in"]
    assert not at.metric and not at.dataframe and not at.multiselect
    sign_in(at, ALL_SITES_USER, "not the password")
    assert "Unknown user name or wrong password." in [e.value for e in at.error]
    assert not at.metric and not at.dataframe
    sign_in(at, "nobody", PASSWORD)
    assert "Unknown user name or wrong password." in [e.value for e in at.error]
    sign_in(at, ALL_SITES_USER)
    assert at.title[0].value == "Oncology to rehabilitation: where patients wait"
    assert at.multiselect(key="site").value == ["BRA"], "the link's filters survive signing in"
    assert any(c.value.startswith(f"Signed in as {ALL_SITES_USER}") for c in at.sidebar.caption)


def test_a_published_audience_signs_in_to_disclosed_figures_and_no_referral_list(
        pipeline_run, monkeypatch, tmp_path):
    """A board member's account opens the pages: tiles and tables under the policy (marks and
    its legend), the referral lists replaced by a sentence saying they are for staff."""
    settings, _ = pipeline_run
    at = _open_published(settings, monkeypatch, tmp_path, "views/waiting_list.py")
    assert at.title[0].value == "Waiting list: who is waiting, and for how long"
    assert not any("referral_id" in df.value.columns for df in at.dataframe)
    assert any("are for the service's staff" in c.value for c in at.caption)
    assert any("nhs_digital" in c.value for c in at.caption), "the policy's legend is shown"


def _count_value(cell: object) -> float | None:
    """A shown count as a number ('1,235' included); None for a mark or a blank."""
    if cell is None or (not isinstance(cell, str) and pd.isna(cell)):
        return None
    if isinstance(cell, str):
        text = cell.replace(",", "")
        return float(text) if text.replace(".", "", 1).isdigit() else None
    return float(cell)


def test_the_pages_show_a_published_audience_only_what_the_nhs_policy_allows(
        pipeline_run, monkeypatch, tmp_path):
    """The path a published account will take once the sign-in gate lifts (issue 25): every
    page opens; every count column of every table and every count tile shows a mark, 0 or a
    multiple of 5 over 7; no referral or file list is shown; a table with withheld cells
    offers the record of what was withheld and why."""
    settings, _ = pipeline_run
    declarations = load_declarations(settings.dbt_project_dir / "models" / "marts")
    counts = {c for d in declarations.values() for c, role in d.columns.items()
              if role.kind == "count"}
    at = _open_published(settings, monkeypatch, tmp_path)
    marks = checked = records = 0
    for page in PAGES:
        if page != PAGES[0]:
            at.switch_page(page).run()
        assert not at.exception, page
        # A table with withheld cells offers the record of them beside its download.
        records += sum(e.proto.label == "What was withheld (CSV)"
                       for e in at.get("download_button"))
        for frame in (df.value for df in at.dataframe):
            assert not {"referral_id", "line_number", "source_file"} & set(frame.columns), page
            for column in counts & set(frame.columns):
                for cell in frame[column]:
                    value = _count_value(cell)
                    marks += cell in ("*", COMPLEMENT)
                    if value is not None:
                        checked += 1
                        assert value == 0 or (value % 5 == 0 and value >= 10), (page, column,
                                                                                 cell)
        for tile in at.metric:
            if tile.label in ("Referrals received", "Seen", "Waiting now"):
                value = _count_value(tile.value)
                assert value is None or value == 0 or value % 5 == 0, (tile.label, tile.value)
    assert checked > 50 and marks > 0 and records > 0


def _page_tables(at: AppTest) -> list[pd.DataFrame]:
    return [df.value.reset_index(drop=True) for df in at.dataframe]


def test_staff_switched_to_figures_for_sharing_see_what_a_published_audience_sees(
        pipeline_run, monkeypatch, tmp_path):
    """An export marked for sharing is published whoever makes it: a member of staff who
    switches to figures for sharing gets, on every page, the tables a board member gets (no
    referral list), downloads named for sharing, and their exact figures back when they
    switch off. (The browser suite checks the file's name.)"""
    settings, _ = pipeline_run
    board = _open_published(settings, monkeypatch, tmp_path)
    assert not [t for t in board.toggle if t.key == "sharing"], "a board member always shares"
    published = {}
    for page in PAGES:
        board.switch_page(page).run()
        published[page] = _page_tables(board)
    monkeypatch.setenv("CAREPATH_USERS_FILE", str(write_users_file(tmp_path / "staff.json")))
    staff = _open(settings, monkeypatch)
    exact = _page_tables(staff)
    staff.toggle(key="sharing").set_value(True).run()
    linked = _open(settings, monkeypatch, sharing="true")
    assert linked.toggle(key="sharing").value, "a link opens a page prepared for sharing"
    marks = 0
    for page in PAGES:
        staff.switch_page(page).run()
        assert not staff.exception, page
        tables = _page_tables(staff)
        assert len(tables) == len(published[page]), page
        for mine, theirs in zip(tables, published[page], strict=True):
            pd.testing.assert_frame_equal(mine, theirs, obj=page)
            marks += int(mine.isin(["*", COMPLEMENT]).sum().sum())
        labels = [b.proto.label for b in staff.get("download_button")]
        assert "Download CSV" not in labels, page
        assert labels.count("Download CSV for sharing") == len(tables), page
    assert marks > 0, "the policy should have withheld something on the demo"
    staff.switch_page(PAGES[0]).run()
    staff.toggle(key="sharing").set_value(False).run()
    for mine, before in zip(_page_tables(staff), exact, strict=True):
        pd.testing.assert_frame_equal(mine, before)


def test_failed_sign_ins_are_rate_limited(pipeline_run, monkeypatch, tmp_path):
    settings, _ = pipeline_run
    monkeypatch.setenv("CAREPATH_DATA_DIR", str(settings.data_dir))
    users = write_users_file(tmp_path / "users.json")
    monkeypatch.setenv("CAREPATH_USERS_FILE", str(users))
    add_user(users, "guessed-at", "ASH", PASSWORD)
    # The throttle is the server's: this test's failures go to one of its own.
    monkeypatch.setattr(server_state, "THROTTLE", LoginThrottle())
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    for _ in range(5):
        sign_in(at, "guessed-at", "a wrong guess")
        assert "Unknown user name or wrong password." in [e.value for e in at.error]
    sign_in(at, "guessed-at", PASSWORD)  # the right password, too late
    assert any(e.value.startswith("Too many failed sign-ins") for e in at.error)
    assert [t.value for t in at.title] == ["carepath: sign in"]
    # Clearing Streamlit's caches, which any browser can ask for, does not reset it.
    st.cache_resource.clear()
    sign_in(at, "guessed-at", PASSWORD)
    assert any(e.value.startswith("Too many failed sign-ins") for e in at.error)
    sign_in(at, SITE_USER)  # another name is not held by these failures
    assert at.title[0].value == "Oncology to rehabilitation: where patients wait"


def test_a_removed_user_is_signed_out_at_the_next_click_and_sign_out_ends_a_session(
        pipeline_run, monkeypatch, tmp_path):
    settings, _ = pipeline_run
    monkeypatch.setenv("CAREPATH_DATA_DIR", str(settings.data_dir))
    users = write_users_file(tmp_path / "users.json")
    monkeypatch.setenv("CAREPATH_USERS_FILE", str(users))
    at = _signed_in(SITE_USER)
    assert at.title[0].value == "Oncology to rehabilitation: where patients wait"
    add_user(users, SITE_USER, "CAR", PASSWORD)  # moved to another site
    at.run()
    assert [t.value for t in at.title] == ["carepath: sign in"]
    assert "Your sign-in has ended: please sign in again." in [w.value for w in at.warning]
    sign_in(at, SITE_USER)
    assert at.title[0].value == "Oncology to rehabilitation: where patients wait"
    next(b for b in at.sidebar.button if b.label == "Sign out").click().run()
    assert [t.value for t in at.title] == ["carepath: sign in"]
    assert not at.metric


@pytest.mark.parametrize("page", PAGES)
def test_a_site_user_sees_only_their_site_on_every_page(pipeline_run, monkeypatch, page):
    settings, _ = pipeline_run
    # A link naming other sites changes nothing: a site user has no site filter.
    at = _open(settings, monkeypatch, page, user=SITE_USER, site=["ASH", "CAR"])
    assert not at.exception
    assert not [m for m in at.multiselect if m.label == "Site"]
    tables = [df.value for df in at.dataframe]
    assert tables or at.info, "every page shows a table, or says why it has none"
    for table in tables:
        if "site_code" in table.columns:
            assert set(table.site_code) <= {SITE_USERS_SITE}
    leaks = [t for t in _texts(at) if OTHER_SITES.search(t)]
    assert not leaks, leaks
    if page == "views/overview.py":
        assert at.subheader[0].value == f"Site {SITE_USERS_SITE}"
        assert set(_table(at, "variation")["where"]) == {SITE_USERS_SITE}
        bra = reader.site_performance(settings.published_path, reader.Selection(sites=("BRA",)))
        metrics = {m.label: m.value for m in at.metric}
        assert metrics["Referrals received"] == f"{int(bra.referrals_received.iloc[1]):,}"
    if page == "views/data_quality.py":
        assert not at.metric, "the network's delivery totals are not a site user's"
        assert not [b for b in at.get("download_button") if "Data Docs" in b.proto.label]


def _select_row(at: AppTest, table: str, row: int) -> AppTest:
    """Select a table's row as a click on its box does (AppTest cannot click a grid)."""
    at.session_state[f"table-{table}"] = {"selection": {"rows": [row], "columns": [],
                                                        "cells": []}}
    return at.run()


def test_a_site_row_opens_the_referrals_behind_it(pipeline_run, monkeypatch, recomputed):
    settings, _ = pipeline_run
    at = _open(settings, monkeypatch)
    sites = _table(at, "referrals_seen")
    row = list(sites.site_code).index("CAR")
    _select_row(at, "sites", row)
    assert not at.exception
    rows = _table(at, "days_rtt_wait")
    # The referrals counted as received: not those still on their way to the service.
    expected = [key for key, r in recomputed["fct_referral_latency"].items()
                if key[0] == "CAR" and r["received_month"] is not None]
    assert set(rows.site_code) == {"CAR"} and len(rows) == len(expected)
    assert _whole(sites.referrals_received[row]) == len(expected)
    assert any(m.value.startswith(f"**Referrals received at CAR: {len(expected):,}")
               for m in at.markdown)


def test_a_waiting_list_row_opens_the_referrals_waiting(pipeline_run, monkeypatch, recomputed):
    settings, _ = pipeline_run
    at = _open(settings, monkeypatch, "views/waiting_list.py")
    by_site = _table(at, "pathways_waiting")
    row = list(zip(by_site.site_code, by_site.priority, strict=True)).index(("CAR", "Routine"))
    site, priority = by_site.site_code[row], "routine"
    _select_row(at, "waiting-now-by-site", row)
    assert not at.exception
    # The drilled rows come straight after their table, before the 20 longest waiters.
    waiting = [df.value for df in at.dataframe if "days_waiting" in df.value.columns][0]
    expected = [key for key, r in recomputed["fct_waiting_list"].items()
                if r["is_as_of_date"] and key[1] == site and r["priority"] == priority]
    # The list of referrals is not an aggregate: it shows every row, even behind a count the
    # table withholds (the lists are for the service to act on, behind the sign-in).
    assert len(waiting) == len(expected) > 0
    assert set(waiting.site_code) == {site} and set(waiting.priority) == {"Routine"}


def test_adherence_and_outcome_rows_open_the_referrals_behind_them(pipeline_run, monkeypatch):
    settings, _ = pipeline_run
    at = _open(settings, monkeypatch, "views/adherence.py")
    by_site = _table(at, "sessions_expected")
    row = list(by_site.site_code).index("DEN")
    _select_row(at, "adherence-by-site", row)
    assert not at.exception
    programmes = _table(at, "dose_intensity")
    assert set(programmes.site_code) == {"DEN"}
    assert programmes.sessions_expected.sum() == by_site.sessions_expected[row]

    at.switch_page("views/outcomes.py").run()
    completeness = _table(at, "patients_eligible")
    row = next(i for i, n in enumerate(completeness.patients_with_pair)
               if n > 0)
    _select_row(at, "registry-completeness", row)
    assert not at.exception
    measures = _table(at, "baseline_value")
    month = pd.Timestamp(completeness.month_seen[row])
    assert set(measures.site_code) == {completeness.site_code[row]}
    assert (pd.to_datetime(measures.first_seen_date).dt.to_period("M") == month.to_period(
        "M")).all()
    paired = measures[measures.has_pair].referral_id.nunique()
    assert paired == _whole(completeness.patients_with_pair[row])


def _chart_specs(at: AppTest) -> list[str]:
    return [chart.proto.spec for chart in at.get("vega_lite_chart")]


def test_the_waiting_list_shows_its_weekly_bands_and_demand_against_activity(pipeline_run,
                                                                             monkeypatch):
    settings, _ = pipeline_run
    at = _open(settings, monkeypatch, "views/waiting_list.py")
    assert not at.exception
    specs = _chart_specs(at)
    assert any('"Weeks waited"' in spec and "rect" in spec for spec in specs), \
        "the census by weekly wait band is drawn as a heat map"
    assert any('"Referrals or pathways"' in spec for spec in specs), \
        "demand, activity and the backlog share one chart"
    bands = reader.waiting_list_wait_bands(settings.published_path)
    assert bands.is_network_total.all() and bands.is_all_priorities.all(), \
        "with nothing chosen the chart is the network's, every priority's"


def test_adherence_by_programme_and_change_by_instrument_are_the_recomputed_rows(
        pipeline_run, monkeypatch, recomputed):
    settings, _ = pipeline_run
    at = _open(settings, monkeypatch, "views/adherence.py")
    assert not at.exception
    programmes = _table(at, "programme")
    network = programmes[programmes.site_code == "Network"]
    expected = {key[1]: row for key, row in recomputed["fct_adherence_by_programme"].items()
                if key[0] is None}
    assert len(network) == len(expected) > 1
    for row in network.itertuples():
        truth = next(r for t, r in expected.items() if t.replace("_", " ").capitalize()
                     == row.programme)
        assert _whole(row.programmes) == truth["programmes"]
        assert row.relative_dose_intensity == pytest.approx(truth["relative_dose_intensity"])
        if pd.isna(row.prop_ended_completed):  # no programme of the type has ended
            assert truth["programmes_ended"] == 0
        else:
            assert row.prop_ended_completed == pytest.approx(truth["prop_ended_completed"])

    at.switch_page("views/outcomes.py").run()
    assert not at.exception
    change = _table(at, "instrument_label")
    expected = {(key[0] or "Network", row["instrument_label"]): row
                for key, row in recomputed["fct_outcome_change_by_instrument"].items()}
    assert len(change) == len(expected)
    for row in change.itertuples():
        truth = expected[(row.site_code, row.instrument_label)]
        assert _whole(row.pairs) == truth["pairs"]
        assert row.median_improvement == pytest.approx(truth["median_improvement"])


def test_the_gates_data_docs_are_viewable_in_the_app_in_a_frame_of_their_own(pipeline_run,
                                                                             monkeypatch):
    settings, _ = pipeline_run
    at = _open(settings, monkeypatch, "views/data_quality.py")
    assert not at.exception
    pages = at.selectbox(key="data_docs_page")
    assert any(o.startswith("Validation of referrals, ") for o in pages.options)
    assert "Expectation suite referrals_gate" in pages.options
    pages.set_value("Expectation suite referrals_gate").run()
    [frame] = at.get("iframe")
    # A data: URL, so the page (which quotes the sites' values) has an origin of its own.
    assert frame.proto.src.startswith("data:text/html;base64,")
    shown = base64.b64decode(frame.proto.src.split(",", 1)[1]).decode()
    assert shown == (settings.gx_dir / "data_docs" / "expectations" /
                     "referrals_gate.html").read_text()


def test_a_site_user_reads_findings_without_the_other_sites_figure(pipeline_run, monkeypatch,
                                                                   tmp_path):
    settings, _ = pipeline_run
    findings = reader.bottlenecks(settings.published_path, limit=100)
    against_others = findings[findings.finding_kind == "worse_than_other_sites"]
    assert not against_others.empty, "the demo's plants include a site worse than the others"
    site = against_others.site_code.iloc[0]
    users = write_users_file(tmp_path / "users.json")
    add_user(users, "site-manager", site, PASSWORD)
    monkeypatch.setenv("CAREPATH_USERS_FILE", str(users))
    at = _open(settings, monkeypatch, "views/bottlenecks.py", user="site-manager")
    assert not at.exception
    shown = _table(at, "evidence")
    mine = findings[findings.site_code == site].head(len(shown))
    assert shown.evidence.tolist() == mine.evidence_own_site.tolist()
    assert not any("at the other sites" in text for text in shown.evidence)
    assert any("beyond the 99.8% limit the other sites set" in text for text in shown.evidence)


def _select_month(at: AppTest, chart: str, month: date) -> AppTest:
    """Select a month's point of an XmR chart as a click on it does (AppTest cannot click)."""
    epoch_ms = int(pd.Timestamp(month).timestamp() * 1000)
    at.session_state[chart] = {"selection": {"month": [{"indicator_month": epoch_ms}]}}
    return at.run()


def test_a_months_point_on_an_xmr_chart_opens_the_referrals_behind_it(pipeline_run, monkeypatch):
    settings, _ = pipeline_run
    published = settings.published_path
    at = _open(settings, monkeypatch, "views/waiting_list.py")
    demand = reader.spc_points(published, None, "referrals_received")
    month = demand.indicator_month.iloc[len(demand) // 2]
    _select_month(at, "spc-Network-referrals_received", month)
    assert not at.exception
    rows = _table(at, "days_rtt_wait")
    assert len(rows) == int(demand.value.iloc[len(demand) // 2]), \
        "the month's referrals received are its point's value"
    assert (pd.to_datetime(rows.received_month).dt.to_period("M")
            == pd.Timestamp(month).to_period("M")).all()

    at.switch_page("views/referral_pathway.py").run()
    at.selectbox(key="indicator_access").set_value("prop_seen_within_target").run()
    seen = reader.spc_points(published, None, "prop_seen_within_target")
    month = seen.indicator_month.iloc[-1]
    _select_month(at, "spc-Network-prop_seen_within_target", month)
    assert not at.exception
    rows = next(df.value for df in at.dataframe if "days_rtt_wait" in df.value.columns
                and len(df.value) == int(seen.denominator.iloc[-1]))
    assert sum(rows.is_within_target) == int(seen.numerator.iloc[-1])


def test_a_month_end_point_of_the_waiting_list_opens_who_was_waiting(pipeline_run, monkeypatch):
    settings, _ = pipeline_run
    at = _open(settings, monkeypatch, "views/waiting_list.py")
    at.selectbox(key="indicator_demand").set_value("waiting_list_month_end").run()
    points = reader.spc_points(settings.published_path, None, "waiting_list_month_end")
    month = points.indicator_month.iloc[-2]
    _select_month(at, "spc-Network-waiting_list_month_end", month)
    assert not at.exception
    rows = [df.value for df in at.dataframe if "days_waiting" in df.value.columns][-1]
    assert len(rows) == int(points.value.iloc[-2])


def test_signing_out_ends_every_session_holding_the_same_token(pipeline_run, monkeypatch):
    settings, _ = pipeline_run
    first = _open(settings, monkeypatch)
    token = first.session_state["carepath_session_token"]
    # Another tab of the same browser: a session of its own, holding the cookie's token.
    other = AppTest.from_file(APP, default_timeout=60)
    other.session_state["carepath_user"] = first.session_state["carepath_user"]
    other.session_state["carepath_session_token"] = token
    other.run()
    assert other.title[0].value == "Oncology to rehabilitation: where patients wait"
    next(b for b in first.sidebar.button if b.label == "Sign out").click().run()
    other.run()
    assert [t.value for t in other.title] == ["carepath: sign in"]
    assert not other.metric


def test_the_census_chart_leaves_out_what_the_table_withholds(pipeline_run, monkeypatch,
                                                              tmp_path):
    settings, _ = pipeline_run
    monkeypatch.setenv("CAREPATH_DISCLOSURE_POLICY", "threshold")
    at = _open_published(settings, monkeypatch, tmp_path, "views/waiting_list.py")
    census = reader.waiting_list_monthly(settings.published_path)
    newest = census[census.is_as_of_date]
    withheld = _table(at, "pathways_waiting")
    hidden = {(r.site_code, r.priority) for r in withheld.itertuples()
              if r.pathways_waiting in ("<5", COMPLEMENT)}
    assert any(r.pathways_waiting == COMPLEMENT for r in withheld.itertuples())
    chart = next(c for c in at.get("vega_lite_chart")
                 if '"Pathways waiting"' in c.proto.spec and "strokeDash" in c.proto.spec)
    drawn = pa.ipc.open_stream(chart.proto.datasets[0].data.data).read_all().to_pandas()
    as_of = pd.Timestamp(newest.census_date.iloc[0])
    now = drawn[pd.to_datetime(drawn.census_date) == as_of]
    # The table names priorities in words, as the chart's legend does.
    shown_now = set(zip(now.site_code, now.priority_label, strict=True))
    assert hidden and not shown_now & hidden, "no withheld census is drawn"
    assert len(drawn) > 0, "the censuses with nothing withheld are drawn"
