"""Data quality: what each site delivered, what the validation gate held back, and why."""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import pandas as pd
import streamlit as st
from components import published_audience, published_or_stop, read, table, whole
from filters import current
from sign_in import current_user

from carepath.publish import reader
from carepath.publish.published_copy import Published
from carepath.settings import load_settings
from carepath.transform.build_record import failed_build


@st.cache_data(show_spinner=False)
def _zipped(folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in Path(folder).rglob("*"):
            if path.is_file():
                archive.write(path, path.relative_to(folder))
    return buffer.getvalue()


def data_docs_pages(docs: Path) -> dict[str, Path]:
    """The Data Docs' pages by a readable name: the validation results, newest run first, then
    the expectation suites."""
    runs = sorted(docs.glob("validations/*/*/*/*.html"), key=lambda p: p.parent.name,
                  reverse=True)
    named = {f"Validation of {p.parents[2].name.removesuffix('_gate')}, "
             f"{p.parent.name[:4]}-{p.parent.name[4:6]}-{p.parent.name[6:8]} "
             f"{p.parent.name[9:11]}:{p.parent.name[11:13]} UTC": p for p in runs}
    named |= {f"Expectation suite {p.stem}": p
              for p in sorted(docs.glob("expectations/*.html"))}
    return named


def quarantined_lines(published: Published, row: pd.Series) -> None:
    """The lines of a delivered file held back by one rule, for the site to fix."""
    lines = read(published, reader.quarantined_rows, row.site_code, int(row.delivery_id),
                 row.rule)
    st.markdown(f"**{row.source_file}: {len(lines):,} lines held back ({row.reason})**")
    table(lines, "quarantined-lines", column_config={
        "site_code": "Site", "source_file": "File", "line_number": "Line", "reason": "Reason",
        "quarantined_at": st.column_config.DatetimeColumn("Held since",
                                                          format="YYYY-MM-DD HH:mm")})


settings = load_settings()
st.title("Data quality: deliveries and the validation gate")
if published_audience():
    st.info("This page lists the files each site sent and the rows the gate held back: it is "
            "for the service's staff and data managers, not shown to a published audience.")
    st.stop()
build = failed_build(settings)
if build is not None:
    st.error(f"The latest build ({build['finished_at']}) failed, so it was not published: "
             "the figures below are from the last good publication.")
    # The failing checks can name any site's rows: they are for users who may see every site.
    if current_user().site is None:
        for failure in build["failures"]:
            st.markdown(f"- `{failure}`")
published = published_or_stop(figures=False)
selection = current()

deliveries = read(published, reader.delivery_status, selection)
status = deliveries[~deliveries.is_network_total].drop(columns="is_network_total")
rules = read(published, reader.quarantine_rules, selection)
rejected = read(published, reader.rejected_files, selection)
disagreeing = read(published, reader.disagreeing_questionnaire_totals, selection)

# The network's totals; a site user, who may not see them, has their site's rows in the table.
if deliveries.is_network_total.any():
    network = deliveries[deliveries.is_network_total].iloc[0]
    cols = st.columns(4)
    cols[0].metric("Files loaded", whole(network.files_loaded))
    cols[1].metric("Files rejected", whole(network.files_rejected))
    cols[2].metric("Rows loaded", whole(network.rows_loaded))
    cols[3].metric("Rows quarantined", whole(network.rows_quarantined))

late = status[status.is_late]
gaps = status[status.missing_months.notna()]
if not late.empty or not gaps.empty:
    for row in late.itertuples():
        st.error(f"{row.site_code} {row.extract}: late - last file "
                 f"{row.last_delivered_date:%Y-%m-%d}, {row.days_since_last_delivery} days "
                 "before the newest delivery.")
    for row in gaps.itertuples():
        st.warning(f"{row.site_code} {row.extract}: no file covers {row.missing_months}.")

st.subheader("Deliveries by site and extract")
table(status, "deliveries", column_config={
    "site_code": "Site", "extract": "Extract", "files": "Files",
    "files_loaded": "Loaded", "files_rejected": "Rejected", "rows_loaded": "Rows loaded",
    "rows_quarantined": "Quarantined",
    "last_delivered_date": st.column_config.DateColumn("Last delivery", format="YYYY-MM-DD"),
    "days_since_last_delivery": "Days since", "is_late": "Late",
    "months_missing": "Months missing", "missing_months": "Missing months",
})

st.subheader("Quarantined rows by rule")
if rules.empty:
    st.write("No row failed validation.")
else:
    table(rules, "quarantine-by-rule", column_config={
        "site_code": "Site", "extract": "Extract", "source_file": "File", "reason": "Reason",
        "rule": "Rule", "rows_quarantined": "Rows quarantined", "delivery_id": "Delivery"},
        drill=lambda row: quarantined_lines(published, row))

st.subheader("Rejected files")
if rejected.empty:
    st.write("No file was rejected.")
else:
    table(rejected, "rejected-files", column_config={
        "site_code": "Site", "extract": "Extract", "source_file": "File", "reason": "Reason",
        "delivered_date": st.column_config.DateColumn("Delivered", format="YYYY-MM-DD")})

st.subheader("Questionnaire totals that disagree with their items")
if disagreeing.empty:
    st.write("Every reported questionnaire total matches the score of its items.")
else:
    st.caption(f"{len(disagreeing):,} item-level questionnaires: the site's reported total is "
               "not the score carepath computes by the published rules (for example a total "
               "not prorated for missing items). The registry uses carepath's score.")
    table(disagreeing, "disagreeing-questionnaire-totals", column_config={
        "site_code": "Site", "measure_id": "Measure", "instrument": "Instrument",
        "assessed_date": st.column_config.DateColumn("Assessed", format="YYYY-MM-DD"),
        "items_answered": "Items answered", "reported_value": "Reported total",
        "scored_value": "carepath's score"})

docs = settings.gx_dir / "data_docs"
st.subheader("Great Expectations Data Docs")
if current_user().site is not None:
    st.write("The Data Docs cover every site's files: ask a user who may see every site.")
elif (docs / "index.html").exists():
    pages = data_docs_pages(docs)
    st.caption("The gate's expectation suites and validation results as Great Expectations "
               "renders them (its Data Docs, under "
               f"`{docs}`). They draw their styles from public CDNs: without the internet "
               "they are plain but complete.")
    chosen = st.selectbox("Data Docs page", list(pages), key="data_docs_page")
    # The pages quote values from the sites' files. As a data: URL the frame has an origin of
    # its own, so nothing a hostile file put in them can reach the app or its session cookie.
    encoded = base64.b64encode(pages[chosen].read_bytes()).decode("ascii")
    st.iframe(f"data:text/html;base64,{encoded}", height=900)
    st.download_button("Download the Data Docs (zip)", data=_zipped(str(docs)),
                       file_name="carepath-data-docs.zip", mime="application/zip",
                       on_click="ignore")
else:
    st.write("No Data Docs yet: they are built when a load validates new files.")
