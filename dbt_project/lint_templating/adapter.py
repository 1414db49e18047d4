"""`adapter.dispatch` as sqlfluff's jinja templater renders it: the project's dispatched macros,
as they render on DuckDB (see dbt.py for why this exists; the linter alone uses it)."""

_ON_DUCKDB = {
    "type_double": lambda: "double",
    "incremental_materialization": lambda: "incremental",
    "round_half_away_from_zero": lambda value: f"round({value})",
    "register_landed_tables": lambda: "",
    "byte_order": lambda expression: expression,
}


def dispatch(macro_name, macro_namespace=None):
    return _ON_DUCKDB[macro_name]
