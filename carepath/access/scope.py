"""What a signed-in reader may see of the published marts.

A site reader sees their own site's rows and nothing else: not another site's rows, and not the
network's totals either (with few sites, a network total less one's own gives the others away).
Every frame the dashboard reads passes through `visible_to`, so a page, chart or download cannot
show more than this, whatever its own query chose. A frame with no `site_code` column is shown
only when its query is known to hold no site's data; anything else is refused, so a new query
fails closed until it is added here.
"""

from __future__ import annotations

import pandas as pd

from carepath.access.users import User

# Reader queries (carepath.publish.reader) whose answers belong to no site.
SITE_FREE_QUERIES = frozenset({"published_at", "filter_options", "indicators",
                               "access_targets", "code_labels"})


class NotVisible(PermissionError):
    """A query's answer cannot be limited to one site, so a site reader may not see it."""


def visible_to(user: User, query: str, answer: object) -> object:
    """`answer` (what reader.`query` returned) as `user` may see it."""
    if user.site is None or query in SITE_FREE_QUERIES:
        return answer
    if isinstance(answer, pd.DataFrame) and "site_code" in answer.columns:
        return answer[answer.site_code == user.site].reset_index(drop=True)
    raise NotVisible(f"reader.{query} is not limited to one site: a site reader cannot see it")
