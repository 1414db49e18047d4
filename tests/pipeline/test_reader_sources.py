"""Every query the dashboard reads answers with columns of the mart it names (or, for a joined
or renamed column, of the mart column it names), each with a disclosure declaration: so what a
published audience may see of any answer is decided by the marts' declarations, and a query
cannot slip a column past them."""

from __future__ import annotations

import inspect

import pandas as pd

from carepath.publish import reader
from carepath.publish.disclosure_declarations import load_declarations

NO_FIGURES = {"filter_options", "published_at"}


def _queries() -> dict[str, object]:
    return {name: function for name, function in inspect.getmembers(reader, inspect.isfunction)
            if function.__module__ == reader.__name__ and not name.startswith("_")}


def test_every_query_names_its_mart_and_answers_with_declared_columns(pipeline_run):
    settings, _ = pipeline_run
    declarations = load_declarations(settings.dbt_project_dir / "models" / "marts")
    queries = _queries()
    assert set(reader.SOURCES) | NO_FIGURES == set(queries)
    arguments = {"spc_points": (None, "prop_seen_within_target"),
                 "spc_summary": (None, "prop_seen_within_target"),
                 "funnel": ("prop_seen_within_target",),
                 "monthly_indicator_series": (("prop_seen_within_target",),),
                 "quarantined_rows": ("ASH", 1, "rule")}
    for name, source in reader.SOURCES.items():
        answer = queries[name](settings.published_path, *arguments.get(name, ()))
        assert isinstance(answer, pd.DataFrame), name
        for column in answer.columns:
            mart, mart_column = source.origin(column)
            assert mart_column in declarations[mart].columns, (name, column, mart)
