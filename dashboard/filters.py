"""The filters every page shares, in the sidebar and in the URL.

Each filter is a widget of the entrypoint (app.py) bound to a query parameter of the same name
(`bind="query-params"`), so a pasted link reproduces the view and the filters survive moving
between pages: `site`, `priority`, `reason` and `service` repeat for several values, `from` and
`to` are months (YYYY-MM). A filter left at its default (every site, the whole period) is not
written into the URL. Pages get the choice as a carepath.publish.reader.Selection, which each
reader query applies to the columns its mart has.
"""

from __future__ import annotations

from datetime import date

import streamlit as st
from components import code_labels, read

from carepath.access.users import User
from carepath.publish import reader
from carepath.publish.published_copy import Published

SELECTION_KEY = "carepath_selection"
CHOICES = (  # query parameter, label, dimension of reader.filter_options, its code set
    ("priority", "Priority", "priority", "priority"),
    ("reason", "Referral reason", "reason", "referral_reason"),
    ("service", "Target service", "service", "target_service"),
)


def _month(text: str | None) -> date | None:
    return None if not text else date(int(text[:4]), int(text[5:7]), 1)


def sidebar(published: Published, user: User) -> reader.Selection:
    """Draw the filters; the selection they make (also kept for the pages, see current()).
    A site user has no site filter: their site is chosen for them."""
    options = read(published, reader.filter_options)
    by_dimension = {d: list(options.value[options.dimension == d])
                    for d in options.dimension.unique()}
    chosen = {}
    with st.sidebar:
        st.header("Filters")
        if user.site is None:
            chosen["site"] = tuple(st.multiselect(
                "Site", list(read(published, reader.sites).site_code), key="site",
                bind="query-params", placeholder="All"))
        else:
            chosen["site"] = (user.site,)
            st.caption(f"Site: {user.site} (the site you may see).")
        labels = code_labels(published)
        for key, label, dimension, code_set in CHOICES:
            values = by_dimension.get(dimension, [])
            chosen[key] = tuple(st.multiselect(
                label, values, key=key, bind="query-params", placeholder="All",
                format_func=labels.of(code_set)))
        months = by_dimension.get("month", [])
        if months:
            start = st.selectbox("From month", months, index=0, key="from",
                                 bind="query-params")
            end = st.selectbox("To month", months, index=len(months) - 1, key="to",
                               bind="query-params")
            if start > end:
                st.warning("'From month' is after 'To month': showing the months between.")
                start, end = end, start
        else:
            start = end = None
    selection = reader.Selection(
        sites=chosen["site"], priorities=chosen["priority"], reasons=chosen["reason"],
        services=chosen["service"],
        month_from=None if start == (months[0] if months else None) else _month(start),
        month_to=None if end == (months[-1] if months else None) else _month(end))
    st.session_state[SELECTION_KEY] = selection
    return selection


def period_params(selection: reader.Selection) -> dict[str, str]:
    """The chosen period as the query parameters that reproduce it (`from`, `to`)."""
    return {key: f"{month:%Y-%m}" for key, month in (("from", selection.month_from),
                                                     ("to", selection.month_to)) if month}


def current() -> reader.Selection:
    """The selection the sidebar made on this run (everything, before it has run)."""
    return st.session_state.get(SELECTION_KEY, reader.EVERYTHING)

