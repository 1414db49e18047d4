"""Pieces every dashboard page shares: the published copy, the notice when there is none, and
how numbers are shown. Pages read like the UI; what they read is carepath.publish.reader."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
from sign_in import current_user

from carepath.access.scope import visible_to
from carepath.publish import disclosure, reader
from carepath.publish.csv_export import READING_DECIMALS, formula_safe_csv
from carepath.publish.published_copy import Published, published_copy
from carepath.settings import load_settings
from carepath.store import store_errors


def published_path() -> Published:
    """Where the published copy is (it may not exist yet): the DuckDB file in the data folder,
    or the published schemas of the PostgreSQL warehouse (CAREPATH_WAREHOUSE)."""
    return published_copy(load_settings())


def published_ready(published: Published) -> bool:
    """Whether the copy is there; a warehouse that cannot be reached is said so on the page,
    which ends there."""
    try:
        return published.exists()
    except store_errors() as problem:
        st.error(f"The warehouse holding the published marts cannot be reached ({published}).")
        st.caption(f"{type(problem).__name__}: {str(problem).splitlines()[0]}")
        st.stop()


NOTHING_LOADED = ("Nothing loaded yet: no file has reached the warehouse, so every figure is "
                  "empty. Files still arriving are loaded by the next run; the Data quality page "
                  "lists any file that was rejected.")


def published_or_stop(figures: bool = True) -> Published:
    """The published copy; when there is none yet, say what to do and end the page here. A page
    of `figures` ends too when nothing has been loaded yet (for a site user: at their site),
    saying so rather than drawing empty tables."""
    published = published_path()
    if not published_ready(published):
        st.warning("No published marts yet. Run the pipeline (`make demo` or `carepath run`).")
        st.stop()
    if figures and read(published, reader.rows_loaded_by_site).empty:
        st.info(NOTHING_LOADED)
        st.stop()
    return published


@st.cache_data(show_spinner=False)
def _read(query: str, where: str, version: str, args: tuple, _published: Published
          ) -> pd.DataFrame:
    # `version` (changed by every publication) makes a newly published copy a cache miss;
    # `where` names the copy, which the underscore keeps Streamlit from hashing.
    return getattr(reader, query)(_published, *args)


def read(published: Published, query: Callable[..., pd.DataFrame], *args) -> pd.DataFrame:
    """`query` (a function of carepath.publish.reader) on the published copy, cached until the
    copy is replaced, and only as much of it as the signed-in user may see (a site user: their
    site's rows; carepath.access.scope). A copy that cannot answer (damaged, or published by an
    older release without a mart this page reads) ends the page with what to do, not a
    traceback."""
    try:
        answer = _read(query.__name__, str(published), published.version(), args, published)
        return visible_to(current_user(), query.__name__, answer)
    except PermissionError:  # before OSError, which it is a kind of
        st.info("This part of the page is not available to users who see one site.")
        st.stop()
    except (*store_errors(), OSError) as problem:
        st.error("The published marts cannot be read: the file is damaged or was published by "
                 "an older release. Run the pipeline again to publish a fresh copy "
                 "(`carepath run --force-build`).")
        st.caption(f"{type(problem).__name__}: {str(problem).splitlines()[0]}")
        st.stop()


def min_count() -> int:
    """The disclosure threshold (CAREPATH_DISCLOSURE_MIN_COUNT, default 5)."""
    return load_settings().disclosure_min_count


def disclosed(frame: pd.DataFrame, counts: tuple[str, ...] = (),
              over: dict[str, str | tuple[str, ...]] | None = None,
              complete_within: tuple[str, ...] | None = None) -> pd.DataFrame:
    """`frame` as it may be shown and exported: small counts as "<5", figures over a small
    count withheld, and with `complete_within` (the columns whose rows add up to a total shown
    elsewhere) a count that would give a small one away by subtraction withheld too
    (carepath.publish.disclosure)."""
    return disclosure.suppress(frame, counts, over, min_count(), complete_within)


def drawable(frame: pd.DataFrame, counts: str | tuple[str, ...]) -> pd.DataFrame:
    """The rows of a chart's data whose counts are not small (the others are not drawn)."""
    return disclosure.shown_rows(frame, counts, min_count())


def withheld_note(frame: pd.DataFrame, shown: pd.DataFrame, what: str) -> None:
    """Say how many of a chart's points were left out for disclosure control, if any."""
    left_out = len(frame) - len(shown)
    if left_out:
        st.caption(f"{left_out:,} {what} counted over fewer than {min_count()} are not drawn "
                   "(disclosure control).")


def access_targets_note(published: Published) -> None:
    """State the access targets the page's figures are judged against (dim_access_targets, the
    service's own seed): a share within target means nothing without its target."""
    targets = read(published, reader.access_targets)
    if targets.empty:
        return
    parts = [f"{t.priority}"
             + ("" if t.target_service == "all" else f" ({t.target_service.replace('_', ' ')})")
             + f": first attended within {t.first_attended_target_days:.0f} days of receipt, "
             f"triaged within {t.triage_target_working_days:.0f} working days"
             for t in targets.itertuples()]
    st.caption("Access targets judged against: " + "; ".join(parts) + ".")


def percent(value: float | None) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{100 * value:.1f}%"


def whole(value: float | str | None) -> str:
    """A count for a tile: already disclosed ("<5" stays as it is)."""
    if isinstance(value, str):
        return value
    return "n/a" if value is None or pd.isna(value) else f"{value:,.0f}"


def _header(column: str, config: object) -> str:
    """The label a column is shown under: its column_config label, else its own name."""
    if isinstance(config, str):
        return config
    if isinstance(config, dict) and config.get("label"):
        return str(config["label"])
    return column


def table(frame: pd.DataFrame, name: str, column_config: dict | None = None,
          drill: Callable[[pd.Series], None] | None = None) -> None:
    """`frame` as a table, with a CSV download of exactly what it shows under the same headers.
    The download is formula-safe (carepath.publish.csv_export); Streamlit's own export button,
    which is not, is switched off in app.py. With `drill`, a row can be selected, and
    drill(row) draws the referral-level rows behind it below the table."""
    column_config = column_config or {}
    original = frame.reset_index(drop=True)
    # An empty text cell is blank on screen and in the download, never "None".
    text = [c for c in frame.select_dtypes(include=["object", "str"]).columns
            if frame[c].dropna().map(lambda v: isinstance(v, str)).all()]
    frame = original.fillna({c: "" for c in text})
    # A missing number is a blank cell too (Streamlit's default placeholder is "None").
    event = st.dataframe(frame, hide_index=True, column_config=column_config,
                         key=f"table-{name}", on_select="rerun" if drill else "ignore",
                         selection_mode="single-row", placeholder="")
    shown = frame.rename(columns={c: _header(c, column_config.get(c)) for c in frame.columns})
    st.download_button("Download CSV", data=formula_safe_csv(shown, READING_DECIMALS),
                       file_name=f"{name}.csv",
                       mime="text/csv", key=f"download-{name}", icon=":material/download:",
                       # A rerun on the click can drop the file before the browser has it.
                       on_click="ignore")
    if drill is not None:
        # A selection can outlive the rows it was made on (a filter changed since).
        rows = [row for row in event.selection.rows if row < len(original)]
        if rows:
            drill(original.iloc[rows[0]])
        else:
            st.caption("Select a row (the box at its left) to list the referrals behind it.")
