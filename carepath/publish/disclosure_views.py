"""Views of a mart for a published audience: every view shows a cell the same way.

Complements depend on which rows sit together. Disclosed view by view, a filter that leaves out
a site would show a cell that the unfiltered view withholds as a complement, and the two read
one after the other give the withheld count away. So the decisions are made once, on the whole
mart (`disclosed_mart`), and a view - a query's answer: some of the mart's rows and columns -
shows each cell as the whole mart's disclosure shows it (`disclose_view`).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from carepath.publish import reader
from carepath.publish.disclosure import Disclosed, disclose, is_missing
from carepath.publish.disclosure_declarations import MartDisclosure, Role
from carepath.publish.disclosure_policies import Policy
from carepath.publish.published_copy import Published


class UnmatchedView(ValueError):
    """A query's answer whose rows cannot be told apart by the mart's dimension columns."""


def _row_key(values) -> tuple:
    return tuple(None if is_missing(v) else v for v in values)


def disclose_view(answer: pd.DataFrame, whole_mart: pd.DataFrame, decided: Disclosed,
                  mart: MartDisclosure, policy: Policy,
                  origins: Mapping[str, tuple[str, str, Role]] | None = None) -> Disclosed:
    """`answer` (rows and columns of `mart`, read by a query) as `decided` (the whole mart
    `whole_mart`, disclosed under `policy`) shows them. `origins` names, for an answer
    column that is not the mart's own column of that name, the mart and column it is and its
    role there: renamed from this mart, it shows as its original does; joined from another, it
    is shown only if it is a dimension there. Each answer row is found in the mart by the
    mart's dimension columns the answer carries; an answer that does not carry enough of them
    to single its rows out is an error (the query must select them), never a guess."""
    origins = origins or {}
    source = {c: origins.get(c, (mart.mart, c, mart.columns.get(c)))[:2] for c in answer}
    keys = [c for c in answer.columns
            if source[c][0] == mart.mart and source[c][1] in mart.dimensions()]
    position: dict[tuple, object] = {}
    for index, values in zip(whole_mart.index, whole_mart[[source[c][1] for c in keys]]
                             .itertuples(index=False, name=None), strict=True):
        key = _row_key(values)
        if key in position:
            raise UnmatchedView(f"the columns {keys} do not single out a row of {mart.mart}: "
                                "the query must select more of its dimension columns")
        position[key] = index
    rows = []
    for key in answer[keys].itertuples(index=False, name=None):
        if _row_key(key) not in position:
            raise UnmatchedView(f"a row of the answer is not a row of {mart.mart}: {key}")
        rows.append(position[_row_key(key)])
    reasons = {(column, row): reason for column, row, reason
               in decided.withheld.itertuples(index=False, name=None)}
    shown = answer.copy()
    record: list[tuple[str, object, str]] = []
    for column in answer.columns:
        origin_mart, origin = source[column]
        if column in keys:
            continue
        if origin_mart != mart.mart:
            role = origins[column][2]
            if role is not None and role.kind == "dimension":
                continue
            reason = f"joined from {origin_mart}, where it is not a dimension"
        elif origin not in mart.columns:
            reason = "no disclosure role declared for this column"
        else:
            values = decided.frame.loc[rows, origin]
            shown[column] = pd.Series(values.to_numpy(), index=answer.index, dtype=values.dtype)
            record += [(column, index, reasons[origin, row])
                       for index, row in zip(answer.index, rows, strict=True)
                       if (origin, row) in reasons]
            continue
        shown[column] = pd.Series(policy.withheld_label, index=answer.index, dtype=object)
        record += [(column, index, reason) for index in answer.index]
    withheld = pd.DataFrame(record, columns=["column", "row", "reason"])
    return Disclosed(shown, withheld, decided.legend)


def disclosed_mart(published: Published, mart: MartDisclosure, policy: Policy
                   ) -> tuple[pd.DataFrame, Disclosed]:
    """Every row of `mart` and its disclosure under `policy`. The rows are put in the order of
    the mart's dimensions first, so that ties between cells are broken alike on every engine
    and every run."""
    if mart.mart not in {source.mart for source in reader.SOURCES.values()}:
        raise ValueError(f"{mart.mart} is not a mart the dashboard reads")
    # Named without a schema, as the reader's queries name them (on both engines).
    whole = (published.frame(f"select * from {mart.mart}")
             .sort_values(mart.dimensions(), na_position="first", kind="stable")
             .reset_index(drop=True))
    return whole, disclose(whole, mart, policy)


def origins_of(query: str, declarations: Mapping[str, MartDisclosure]
               ) -> dict[str, tuple[str, str, Role | None]]:
    """For a query's answer columns that are not its mart's own (reader.SOURCES): the mart and
    column each is, and its role there."""
    return {column: (mart, origin, declarations[mart].columns.get(origin))
            for column, mart, origin in reader.SOURCES[query].columns}
