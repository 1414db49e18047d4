"""carepath dashboard: where patients wait between oncology and rehabilitation."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="carepath", page_icon=":material/route:", layout="wide")
# Streamlit's own CSV export writes cells as they are, so a site's `=HYPERLINK(...)` would run in
# a spreadsheet; every table offers a formula-safe download instead (components.table).
st.set_option("client.disableDataExport", True)

navigation = st.navigation([
    st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("views/data_quality.py", title="Data quality", icon=":material/rule:"),
])
navigation.run()
