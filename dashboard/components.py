"""Pieces every dashboard page shares: the published copy, the notice when there is none, and
how numbers are shown. Pages read like the UI; what they read is carepath.publish.reader."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
from sign_in import current_user

from carepath.access.scope import visible_to
from carepath.access.users import User
from carepath.charts.labels import CodeLabels
from carepath.charts.withheld import drawable_rows
from carepath.publish import disclosure, reader
from carepath.publish.csv_export import READING_DECIMALS, formula_safe_csv
from carepath.publish.disclosure_declarations import load_declarations
from carepath.publish.disclosure_policies import Policy, policy_named
from carepath.publish.disclosure_views import disclosed_marts, published_answer
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
    # Whether anything is loaded is asked of the staff's figures: it shows no number.
    if figures and read(published, reader.rows_loaded_by_site, for_publication=False).empty:
        st.info(NOTHING_LOADED)
        st.stop()
    return published


@st.cache_data(show_spinner=False)
def _read(query: str, where: str, version: str, args: tuple, _published: Published
          ) -> pd.DataFrame:
    # `version` (changed by every publication) makes a newly published copy a cache miss;
    # `where` names the copy, which the underscore keeps Streamlit from hashing.
    return getattr(reader, query)(_published, *args)


def read(published: Published, query: Callable[..., pd.DataFrame], *args,
         for_publication: bool = True) -> pd.DataFrame:
    """`query` (a function of carepath.publish.reader) on the published copy, cached until the
    copy is replaced, and only as much of it as the signed-in user may see (a site user: their
    site's rows; carepath.access.scope), and for a published audience only what the
    disclosure policy lets it see (unless `for_publication` is False, for an answer that is
    never shown). A copy that cannot answer (damaged, or published by an
    older release without a mart this page reads) ends the page with what to do, not a
    traceback."""
    try:
        answer = _read(query.__name__, str(published), published.version(), args, published)
        answer = visible_to(current_user(), query.__name__, answer)
        if for_publication and published_audience() and query.__name__ in reader.SOURCES:
            return _for_publication(published, query.__name__, answer)
        return answer
    except PermissionError:  # before OSError, which it is a kind of
        st.info("This part of the page is not available to users who see one site.")
        st.stop()
    except (*store_errors(), OSError) as problem:
        st.error("The published marts cannot be read: the file is damaged or was published by "
                 "an older release. Run the pipeline again to publish a fresh copy "
                 "(`carepath run --force-build`).")
        st.caption(f"{type(problem).__name__}: {str(problem).splitlines()[0]}")
        st.stop()


SHARING = "sharing"


def published_audience() -> bool:
    """Whether this page shows only what may leave the service: the signed-in user's audience
    is `published` (a board, commissioners), or a member of staff switched to figures for
    sharing (sharing_switch)."""
    return current_user().audience == "published" or bool(st.session_state.get(SHARING))


def sharing_switch(user: User) -> None:
    """For staff, whose figures are exact: a switch that shows every page as a published
    audience sees it, so what they download is marked for sharing and may leave the service.
    Kept in the URL, so a link to a page prepared for sharing opens it the same way."""
    if user.audience == "published":
        return  # always sharing
    with st.sidebar:
        st.toggle("Figures for sharing", key=SHARING, bind="query-params",
                  help="Show every page as it may leave the service (a board, commissioners, "
                       "another trust): figures under the disclosure policy, no referral "
                       "lists, downloads marked for sharing with a record of what was "
                       "withheld. Off: your exact figures, which stay within the service.")


def disclosure_policy() -> Policy:
    """The policy a published audience sees figures under (CAREPATH_DISCLOSURE_POLICY)."""
    settings = load_settings()
    return policy_named(settings.disclosure_policy, settings.disclosure_min_count)


@st.cache_data(show_spinner=False)
def _disclosed_marts(where: str, version: str, policy: Policy, _published: Published
                     ) -> dict[str, tuple[pd.DataFrame, disclosure.Disclosed]]:
    # Once per publication and policy (`where` and `version` name the copy), every published
    # mart together: a complement in one may be a sum of cells in another.
    declarations = load_declarations(load_settings().dbt_project_dir / "models" / "marts")
    return disclosed_marts(_published, declarations, policy)


def _for_publication(published: Published, query: str, answer: pd.DataFrame) -> pd.DataFrame:
    """`answer` as a published audience may see it: each cell as the disclosure of its whole
    mart shows it (carepath.publish.disclosure_views); a list of referrals or files is not
    shown at all (an empty answer, said on the page)."""
    declarations = load_declarations(load_settings().dbt_project_dir / "models" / "marts")
    policy = disclosure_policy()
    shown = published_answer(query, answer, _disclosed_marts(
        str(published), published.version(), policy, published), declarations, policy)
    if shown is None:
        st.caption("Lists of referrals and files are for the service's staff: they are not "
                   "shown to a published audience.")
        return answer.iloc[0:0]
    # The record travels with the frame (pandas keeps attrs through selections), for the
    # table that shows it to offer beside its download: as plain tuples, which pandas can
    # compare when it carries attrs through an operation on two frames (frames it cannot).
    shown.frame.attrs[WITHHELD] = tuple(shown.withheld.itertuples(index=False, name=None))
    return shown.frame


WITHHELD = "carepath_withheld"


def _withheld_record(frame: pd.DataFrame, column_config: dict) -> pd.DataFrame | None:
    """What a published table withheld and why, one row per cell: its row as numbered on
    screen, the first column's value there (the site, mostly), its column's header, the
    reason. None when the frame carries no record."""
    if WITHHELD not in frame.attrs:
        return None
    record = pd.DataFrame(list(frame.attrs[WITHHELD]), columns=["column", "row", "reason"])
    record = record[record.column.isin(frame.columns) & record.row.isin(frame.index)]
    position = {index: number for number, index in enumerate(frame.index, start=1)}
    first = frame.columns[0]
    return pd.DataFrame({
        "Row": [position[r] for r in record.row],
        _header(first, column_config.get(first)): [frame.at[r, first] for r in record.row],
        "Column": [_header(c, column_config.get(c)) for c in record.column],
        "Why withheld": record.reason.tolist()})


def drawable(frame: pd.DataFrame, counts: str | tuple[str, ...]) -> pd.DataFrame:
    """The rows of a chart's data that may be drawn. Staff see every row, exactly. For a
    published audience: the rows whose counts (`counts`) are not withheld, every other
    withheld figure left undrawn (a mark becomes a gap)."""
    if not published_audience():
        return frame
    return drawable_rows(frame, counts, _marks())


def _marks() -> set[str]:
    return {disclosure_policy().withheld_label, disclosure.COMPLEMENT}


def withheld_note(frame: pd.DataFrame, shown: pd.DataFrame, what: str) -> None:
    """Say how many of a chart's points were left out for disclosure control, if any."""
    left_out = len(frame) - len(shown)
    if left_out:
        st.caption(f"{left_out:,} {what} whose counts are withheld are not drawn "
                   f"({disclosure_policy().describe()})")


def code_labels(published: Published) -> CodeLabels:
    """The words for every code (dim_code_labels), to show in place of codes."""
    return CodeLabels(read(published, reader.code_labels))


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


def percent(value: float | str | None) -> str:
    """A proportion for a tile; a withheld one shows its mark."""
    if isinstance(value, str):
        return value
    return "n/a" if value is None or pd.isna(value) else f"{100 * value:.1f}%"


def whole(value: float | str | None) -> str:
    """A count for a tile; a withheld one shows its mark."""
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


def _marks_as_text(frame: pd.DataFrame, column_config: dict) -> tuple[pd.DataFrame, dict]:
    """A published frame's columns that hold marks ("*", "withheld") as text, each number in
    them formatted as its column's config would (a percent as "83.6%"), the column's label
    kept: a number column cannot show a mark."""
    frame = frame.copy()
    for column in frame.columns:
        values = frame[column].dropna()
        if frame[column].dtype != object or not values.map(lambda v: isinstance(v, str)).any():
            continue
        config = column_config.get(column)
        is_percent = isinstance(config, dict) and (
            (config.get("type_config") or {}).get("format") == "percent")
        frame[column] = frame[column].map(lambda v, p=is_percent: _number_text(v, p))
        if config is not None and not isinstance(config, str):
            column_config[column] = _header(column, config)
    return frame, column_config


def _number_text(value: object, is_percent: bool) -> object:
    if isinstance(value, str) or value is None or pd.isna(value):
        return value
    if is_percent:
        return f"{100 * value:.1f}%"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def table(frame: pd.DataFrame, name: str, column_config: dict | None = None,
          drill: Callable[[pd.Series], None] | None = None) -> None:
    """`frame` as a table, with a CSV download of exactly what it shows under the same headers.
    The download is formula-safe (carepath.publish.csv_export); Streamlit's own export button,
    which is not, is switched off in app.py. With `drill`, a row can be selected, and
    drill(row) draws the referral-level rows behind it below the table."""
    column_config = dict(column_config or {})
    withheld = None
    if published_audience():
        drill = None  # no referral list is shown to a published audience
        withheld = _withheld_record(frame, column_config)
        frame, column_config = _marks_as_text(frame, column_config)
    frame = frame.copy()
    frame.attrs.clear()  # the record is not for the table itself
    original = frame.reset_index(drop=True)
    # An empty text cell is blank on screen and in the download, never "None".
    text = [c for c in frame.select_dtypes(include=["object", "str"]).columns
            if frame[c].dropna().map(lambda v: isinstance(v, str)).all()]
    frame = original.fillna({c: "" for c in text})
    # A missing number is a blank cell too (Streamlit's default placeholder is "None").
    event = st.dataframe(frame, hide_index=True, column_config=column_config,
                         key=f"table-{name}", on_select="rerun" if drill else "ignore",
                         selection_mode="single-row", placeholder="")
    sharing = published_audience()
    if sharing:
        st.caption(disclosure_policy().describe())  # what the marks mean
    shown = frame.rename(columns={c: _header(c, column_config.get(c)) for c in frame.columns})
    repeated = sorted({h for h in shown.columns if list(shown.columns).count(h) > 1})
    if repeated:  # two columns under one header read as one figure, on screen and in the CSV
        raise ValueError(f"table {name!r} shows more than one column headed {repeated}")
    # A file for sharing says so in its name, whoever downloads it; a staff file is exact.
    file_name = f"{name}-for-sharing" if sharing else name
    st.download_button("Download CSV for sharing" if sharing else "Download CSV",
                       data=formula_safe_csv(shown, READING_DECIMALS),
                       file_name=f"{file_name}.csv",
                       mime="text/csv", key=f"download-{name}", icon=":material/download:",
                       # A rerun on the click can drop the file before the browser has it.
                       on_click="ignore")
    if withheld is not None and not withheld.empty:
        # For the person who signs a report off: every cell withheld, and why.
        st.download_button("What was withheld (CSV)", data=formula_safe_csv(withheld),
                           file_name=f"{file_name}-withheld.csv", mime="text/csv",
                           key=f"withheld-{name}", icon=":material/download:",
                           on_click="ignore")
    if drill is not None:
        # A selection can outlive the rows it was made on (a filter changed since).
        rows = [row for row in event.selection.rows if row < len(original)]
        if rows:
            drill(original.iloc[rows[0]])
        else:
            st.caption("Select a row (the box at its left) to list the referrals behind it.")
