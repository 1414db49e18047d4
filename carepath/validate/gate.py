"""The Great Expectations gate: judge the staged rows of one file against its extract's suite.

The suites are plain GX 1.x JSON files in `expectations/`, one per extract. They run inside
DuckDB through GX's SQL execution engine (no table is pulled into pandas). Column-level
expectations name the failing rows by `_line_number`; those rows go to quarantine with the
expectation as the reason. A failing table-level expectation rejects the whole file.
"""

from __future__ import annotations

import gc
import json
import logging
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import duckdb


# A staged row is named by the delivery (file) it came from and its line in that file.
INDEX_COLUMNS = ("_delivery_id", "_line_number")
DOCS_SITE = "carepath"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RowFailure:
    delivery_id: int
    line_number: int
    rule: str
    description: str
    offending_value: str | None


@dataclass
class Verdict:
    row_failures: list[RowFailure] = field(default_factory=list)
    file_problems: list[str] = field(default_factory=list)
    expectations_evaluated: int = 0


class SuiteError(RuntimeError):
    """A suite that could not be evaluated: a bug in the rules, not in the data."""


def _persist_duckdb_connections() -> None:
    """GX closes the DuckDB connection before it reads results (GX #11579, duckdb_engine #734),
    so every expectation errors as shipped. GX keeps one connection open for the dialects it
    lists as persisted; DuckDB belongs on that list. The entry must compare equal to "duckdb"
    and also have `.value`, as the GX dialect enum members do."""
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine

    class _Dialect(str, Enum):
        DUCKDB = "duckdb"

    if "duckdb" not in engine._PERSISTED_CONNECTION_DIALECTS:
        engine._PERSISTED_CONNECTION_DIALECTS = (*engine._PERSISTED_CONNECTION_DIALECTS,
                                                 _Dialect.DUCKDB)


def load_suite_document(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SuiteError(f"{path}: cannot read suite: {exc}") from exc


def rule_name(expectation_type: str, kwargs: dict, meta: dict | None = None) -> str:
    columns = [str(kwargs[k]) for k in ("column", "column_A", "column_B") if kwargs.get(k)]
    columns += [str(c) for c in kwargs.get("column_list", [])]
    if expectation_type == "unexpected_rows_expectation":
        columns = [(meta or {}).get("rule", "query")]
    return f"{expectation_type}({', '.join(columns)})"


class ValidationGate:
    """Runs the extract suites through one GX context bound to the loader's DuckDB connection.

    GX reaches the warehouse through a cursor of the loader's own connection (a second
    connection from this process with other settings would be refused by DuckDB), with the
    `stage` schema first on its search path. Built lazily: importing GX costs seconds.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, expectations_dir: Path,
                 data_docs_dir: Path | None = None):
        self._con = con
        self._expectations_dir = expectations_dir
        self._data_docs_dir = data_docs_dir
        self._context = None
        self._datasource = None
        self._cursor = None
        self._checkpoints: dict[str, object] = {}

    def _connection(self):
        from duckdb_engine import ConnectionWrapper

        self._cursor = self._con.cursor()
        self._cursor.execute("set search_path = 'stage,main'")
        return ConnectionWrapper(self._cursor)

    def _checkpoint(self, extract: str):
        if extract in self._checkpoints:
            return self._checkpoints[extract]
        # Quiet GX before importing it (it logs every registered function when Airflow has
        # configured logging first), and once more after: the import resets one logger to INFO.
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
        if self._context is None:
            _persist_duckdb_connections()
            self._context = gx.get_context(mode="ephemeral")
            self._context.variables.progress_bars = ProgressBarsConfig(
                globally=False, metric_calculations=False)
            self._datasource = self._context.data_sources.add_sql(
                "warehouse", connection_string="duckdb:///:memory:",
                kwargs={"creator": self._connection})
            if self._data_docs_dir is not None:
                self._context.add_data_docs_site(site_name=DOCS_SITE, site_config={
                    "class_name": "SiteBuilder",
                    "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                                      "base_directory": str(self._data_docs_dir)},
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"}})
        doc = load_suite_document(self._expectations_dir / f"{extract}.json")
        suite = self._context.suites.add(gx.ExpectationSuite(**doc))
        asset = self._datasource.add_table_asset(f"stage_{extract}", table_name=extract)
        batch = asset.add_batch_definition_whole_table("whole_file")
        definition = self._context.validation_definitions.add(
            gx.ValidationDefinition(name=f"gate_{extract}", data=batch, suite=suite))
        actions = ([gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=[DOCS_SITE])]
                   if self._data_docs_dir is not None else [])
        checkpoint = self._context.checkpoints.add(gx.Checkpoint(
            name=f"gate_{extract}", validation_definitions=[definition], actions=actions,
            result_format={"result_format": "COMPLETE",
                           "unexpected_index_column_names": list(INDEX_COLUMNS)}))
        self._checkpoints[extract] = checkpoint
        return checkpoint

    def validate(self, extract: str, parameters: dict | None = None) -> Verdict:
        """Judge `stage.<extract>`; `parameters` fill the suite's `$PARAMETER` placeholders."""
        checkpoint = self._checkpoint(extract)
        run = checkpoint.run(expectation_parameters=parameters or {})
        [result] = run.run_results.values()
        verdict = Verdict(expectations_evaluated=len(result.results))
        for r in result.results:
            config = r.expectation_config
            rule = rule_name(config.type, config.kwargs, config.meta)
            if r.exception_info.get("raised_exception"):
                raise SuiteError(f"{extract}: {rule} could not be evaluated: "
                                 f"{r.exception_info.get('exception_message')}")
            if r.success:
                continue
            description = config.description or rule
            unexpected = r.result.get("unexpected_index_list")
            if config.type == "unexpected_rows_expectation":
                unexpected = self._all_unexpected_rows(extract, config.kwargs)
            if unexpected is None:
                verdict.file_problems.append(f"{description} [{rule}]")
                continue
            for item in unexpected:
                values = {k: v for k, v in item.items() if k not in INDEX_COLUMNS}
                shown = ", ".join(f"{k}={v}" for k, v in values.items()) or None
                verdict.row_failures.append(
                    RowFailure(int(item["_delivery_id"]), int(item["_line_number"]), rule,
                               description, shown))
        return verdict

    def _all_unexpected_rows(self, extract: str, kwargs: dict) -> list[dict]:
        """GX returns at most 200 of a query rule's rows; every failing row must be named, so
        the suite's own query is run again here for all of them."""
        query = kwargs["unexpected_rows_query"].replace("{batch}", f"stage.{extract}")
        cursor = self._con.cursor()
        try:
            result = cursor.execute(query)
            names = [d[0] for d in result.description]
            missing = set(INDEX_COLUMNS) - set(names)
            if missing:
                raise SuiteError(f"{extract}: query rule must select {sorted(missing)}")
            return [dict(zip(names, row)) for row in result.fetchall()]
        finally:
            cursor.close()

    def close(self) -> None:
        if self._datasource is not None:
            self._datasource.get_execution_engine().close()
            self._datasource.get_engine().dispose()
        if self._cursor is not None:
            self._cursor.close()
        self._context = self._datasource = self._cursor = None
        self._checkpoints.clear()
        # Drop GX's references to DuckDB objects now, while the connection is still open,
        # rather than at interpreter exit.
        gc.collect()
