"""carepath dashboard: where patients wait between oncology and rehabilitation."""

from __future__ import annotations

import streamlit as st
from components import published_path, published_ready, sharing_switch
from filters import sidebar
from sign_in import keep_signed_in, sign_in_page, sign_out_button, signed_in_user

st.set_page_config(page_title="carepath", page_icon=":material/route:", layout="wide")
# Streamlit's own CSV export writes cells as they are, so a site's `=HYPERLINK(...)` would run in
# a spreadsheet; every table offers a formula-safe download instead (components.table).
st.set_option("client.disableDataExport", True)

user = signed_in_user()
navigation = st.navigation(position="sidebar" if user else "hidden", pages=[
    st.Page("views/overview.py", title="Overview", icon=":material/dashboard:",
            url_path="home", default=True),
    # The default page is served at the root only; as every other page has a path of its own,
    # a link to /overview opens the same page, unlisted (Streamlit tells pages apart by path).
    st.Page("views/overview.py", title="Overview", url_path="overview", visibility="hidden"),
    st.Page("views/bottlenecks.py", title="Bottlenecks", icon=":material/report:",
            url_path="bottlenecks"),
    st.Page("views/referral_pathway.py", title="Referral pathway", icon=":material/route:",
            url_path="referral-pathway"),
    st.Page("views/waiting_list.py", title="Waiting list", icon=":material/schedule:",
            url_path="waiting-list"),
    st.Page("views/adherence.py", title="Adherence", icon=":material/directions_run:",
            url_path="adherence"),
    st.Page("views/outcomes.py", title="Outcomes", icon=":material/monitoring:",
            url_path="outcomes"),
    st.Page("views/data_quality.py", title="Data quality", icon=":material/rule:",
            url_path="data-quality"),
])
# Before someone signs in, no page runs and none is listed; the navigation is built all the same,
# so the page a link asked for is the one shown after signing in.
if user is None:
    sign_in_page()
keep_signed_in()
sign_out_button(user)
sharing_switch(user)
# The filters are the entrypoint's widgets, so every page shares them (and the URL keeps them).
if published_ready(published_path()):
    sidebar(published_path(), user)
navigation.run()
