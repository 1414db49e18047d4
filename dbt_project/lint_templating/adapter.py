"""`adapter.dispatch` as sqlfluff's jinja templater renders it: the project's dispatched macros,
as they render on DuckDB (see dbt.py for why this exists; the linter alone uses it)."""

_ON_DUCKDB = {
    "type_double": lambda: "double",
}


def dispatch(macro_name, macro_namespace=None):
    return _ON_DUCKDB[macro_name]
