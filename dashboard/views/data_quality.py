"""Data quality: what each site delivered, what the validation gate held back, and why."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import streamlit as st

from carepath import marts_queries as q
from carepath.settings import load_settings

settings = load_settings()
published = settings.published_path


@st.cache_data(show_spinner=False)
def _load(path: str, version: float):
    source = Path(path)
    return (q.delivery_status(source), q.quarantine_rules(source), q.rejected_files(source),
            q.disagreeing_questionnaire_totals(source))


@st.cache_data(show_spinner=False)
def _zipped(folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in Path(folder).rglob("*"):
            if path.is_file():
                archive.write(path, path.relative_to(folder))
    return buffer.getvalue()


st.title("Data quality: deliveries and the validation gate")
failed_build = q.failed_build(settings.last_build_path)
if failed_build is not None:
    st.error(f"The latest build ({failed_build['finished_at']}) failed, so it was not published: "
             "the figures below are from the last good publication.")
    for failure in failed_build["failures"]:
        st.markdown(f"- `{failure}`")
if not published.exists():
    st.warning("No published marts yet. Run the pipeline (`make demo` or `carepath run`).")
    st.stop()

status, rules, rejected, disagreeing = _load(str(published), published.stat().st_mtime)

cols = st.columns(4)
cols[0].metric("Files loaded", f"{int(status.files.sum() - status.files_rejected.sum()):,}")
cols[1].metric("Files rejected", f"{int(status.files_rejected.sum()):,}")
cols[2].metric("Rows loaded", f"{int(status.rows_loaded.sum()):,}")
cols[3].metric("Rows quarantined", f"{int(status.rows_quarantined.sum()):,}")

late = status[status.is_late]
gaps = status[status.missing_months.notna()]
if not late.empty or not gaps.empty:
    for row in late.itertuples():
        st.error(f"{row.site_code} {row.extract}: late - last file {row.last_delivery:%Y-%m-%d}, "
                 f"{row.days_since_last_delivery} days before the newest delivery.")
    for row in gaps.itertuples():
        st.warning(f"{row.site_code} {row.extract}: no delivery in {row.missing_months}.")

st.subheader("Deliveries by site and extract")
st.dataframe(status, hide_index=True, column_config={
    "site_code": "Site", "extract": "Extract", "files": "Files",
    "files_rejected": "Rejected", "rows_loaded": "Rows loaded",
    "rows_quarantined": "Quarantined",
    "last_delivery": st.column_config.DateColumn("Last delivery", format="YYYY-MM-DD"),
    "days_since_last_delivery": "Days since", "is_late": "Late",
    "missing_months": "Missing months",
})

st.subheader("Quarantined rows by rule")
if rules.empty:
    st.write("No row failed validation.")
else:
    st.dataframe(rules, hide_index=True)

st.subheader("Rejected files")
if rejected.empty:
    st.write("No file was rejected.")
else:
    st.dataframe(rejected, hide_index=True)

st.subheader("Questionnaire totals that disagree with their items")
if disagreeing.empty:
    st.write("Every reported questionnaire total matches the score of its items.")
else:
    st.caption(f"{len(disagreeing):,} item-level questionnaires: the site's reported total is "
               "not the score carepath computes by the published rules (for example a total "
               "not prorated for missing items). The registry uses carepath's score.")
    st.dataframe(disagreeing, hide_index=True)

docs = settings.gx_dir / "data_docs"
st.subheader("Great Expectations Data Docs")
if (docs / "index.html").exists():
    st.write(f"The gate's validation results for the latest load, as GX Data Docs: "
             f"`{docs / 'index.html'}`.")
    st.download_button("Download the Data Docs (zip)", data=_zipped(str(docs)),
                       file_name="carepath-data-docs.zip", mime="application/zip")
else:
    st.write("No Data Docs yet: they are built when a load validates new files.")
