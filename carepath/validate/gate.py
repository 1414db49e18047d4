"""The Great Expectations gate: judge the staged rows of one file against its extract's suite.

The suites are plain GX 1.x JSON files in `expectations/`, one per extract. They run inside
DuckDB through GX's SQL execution engine (no table is pulled into pandas). GX judges every
expectation and counts its failing rows; the gate then names all of them in SQL (see
failing_rows.py: GX lists only a sample) into `stage.<extract>_failures`, and refuses to go on if
its count and GX's differ. The loader quarantines those rows with the expectation as the reason.
"""

from __future__ import annotations

import gc
import json
import logging
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from time import perf_counter

import duckdb

from carepath.validate.failing_rows import UnsupportedExpectation, row_predicate
from carepath.warehouse import INSTANT_PREFIX

# A staged row is named by the delivery (file) it came from and its line in that file.
INDEX_COLUMNS = ("_delivery_id", "_line_number")
DOCS_SITE = "carepath"
log = logging.getLogger(__name__)


@dataclass
class Verdict:
    failures_table: str  # (delivery_id, line_number, rule, description, offending_value)
    expectations_evaluated: int = 0
    rows_failed_by_rule: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per phase


@dataclass(frozen=True)
class FailingRowsCheck:
    """How the gate finds one expectation's failing rows: `where` over `source`."""

    rule: str
    description: str
    source: str
    where: str
    rendered: str  # SQL rendering the offending values
    over_stage: bool = False


class SuiteError(RuntimeError):
    """A suite that could not be evaluated: a bug in the rules, not in the data."""


def query_check(con: duckdb.DuckDBPyConnection, extract: str, rule: str, description: str,
                query: str) -> FailingRowsCheck:
    """The check of a query rule: its rows fail, and every column it selects beyond the row's
    index is an offending value (`referral_id=T-R1, scheduled_at=...`)."""
    columns = [d[0] for d in con.execute(f"select * from ({query}) limit 0").description]
    missing = set(INDEX_COLUMNS) - set(columns)
    if missing:
        raise SuiteError(f"{extract}: {rule} must select {sorted(missing)}")
    shown = [c for c in columns if c not in INDEX_COLUMNS]
    rendered = ("concat_ws(', ', " + ", ".join(
        f"'{c}=' || coalesce(cast(\"{c}\" as varchar), 'NULL')" for c in shown) + ")"
                if shown else "NULL")
    return FailingRowsCheck(rule, description, f"({query})", "true", rendered)


def _persist_duckdb_connections() -> None:
    """GX closes the DuckDB connection before it reads results (GX #11579, duckdb_engine #734),
    so every expectation errors as shipped. GX keeps one connection open for the dialects it
    lists as persisted; DuckDB belongs on that list. The entry must compare equal to "duckdb"
    and also have `.value`, as the GX dialect enum members do."""
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine

    class _Dialect(StrEnum):
        DUCKDB = "duckdb"

    if "duckdb" not in engine._PERSISTED_CONNECTION_DIALECTS:
        engine._PERSISTED_CONNECTION_DIALECTS = (*engine._PERSISTED_CONNECTION_DIALECTS,
                                                 _Dialect.DUCKDB)


def _gx_failing_count(result) -> int:
    """How many rows GX found failing: `unexpected_count` for map expectations, the row count of
    the query for unexpected_rows_expectation (its `observed_value`)."""
    if result.success:
        return 0
    details = result.result or {}
    if details.get("unexpected_count") is not None:
        return int(details["unexpected_count"])
    observed = details.get("observed_value")
    if isinstance(observed, (int, float)):
        return int(observed)
    raise SuiteError(f"{result.expectation_config.type}: GX reported no failing-row count "
                     f"({sorted(details)})")


def _evaluation_problem(exception_info: dict | None) -> str | None:
    """GX reports an expectation that could not be evaluated either at the top level or per
    metric (keyed by metric id); a gate that read only the top level would take an erroring
    rule for a failing one."""
    info = exception_info or {}
    if info.get("raised_exception"):
        return info.get("exception_message") or "an exception"
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return value.get("exception_message") or "an exception"
    return None


def load_suite_document(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SuiteError(f"{path}: cannot read suite: {exc}") from exc


def rule_name(expectation_type: str, kwargs: dict, meta: dict | None = None) -> str:
    """`expectation_type(columns)`, or the rule a query rule's meta names. A rule on stage
    events' instants names the events (`triaged_at`), as the data manager knows them."""
    columns = [str(kwargs[k]).removeprefix(INSTANT_PREFIX)
               for k in ("column", "column_A", "column_B") if kwargs.get(k)]
    columns += [str(c) for c in kwargs.get("column_list", [])]
    if expectation_type == "unexpected_rows_expectation":
        columns = [(meta or {}).get("rule", "query")]
    return f"{expectation_type}({', '.join(columns)})"


class ValidationGate:
    """Runs the extract suites through one GX context bound to the loader's DuckDB connection.

    GX reaches the warehouse through a cursor of the loader's own connection (a second
    connection from this process with other settings would be refused by DuckDB). Its table
    assets name the `stage` schema, and `stage` also leads the cursor's search path, because
    some of GX's metric queries name the table without its schema. Built lazily: importing GX
    costs seconds.
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
        asset = self._datasource.add_table_asset(f"stage_{extract}", table_name=extract,
                                                 schema_name="stage")
        batch = asset.add_batch_definition_whole_table("whole_file")
        definition = self._context.validation_definitions.add(
            gx.ValidationDefinition(name=f"gate_{extract}", data=batch, suite=suite))
        actions = ([gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=[DOCS_SITE])]
                   if self._data_docs_dir is not None else [])
        checkpoint = self._context.checkpoints.add(gx.Checkpoint(
            name=f"gate_{extract}", validation_definitions=[definition], actions=actions,
            # Counts are all the gate takes from GX; the rows are named in SQL (failing_rows.py).
            # No sample of failing values either (GX keeps 20 by default): they would reach
            # the data docs, where a site's stray identifier or markup would be written out.
            result_format={"result_format": "BASIC", "partial_unexpected_count": 0}))
        self._checkpoints[extract] = checkpoint
        return checkpoint

    def validate(self, extract: str, parameters: dict | None = None) -> Verdict:
        """Judge `stage.<extract>`; `parameters` fill the suite's `$PARAMETER` placeholders."""
        started = perf_counter()
        checkpoint = self._checkpoint(extract)
        set_up = perf_counter()
        self._fresh_snapshot()
        run = checkpoint.run(expectation_parameters=parameters or {})
        judged = perf_counter()
        [result] = run.run_results.values()
        table = f"stage.{extract}_failures"
        self._con.execute(f"create or replace table {table} (delivery_id BIGINT, "
                          "line_number BIGINT, rule VARCHAR, description VARCHAR, "
                          "offending_value VARCHAR)")
        verdict = Verdict(table, expectations_evaluated=len(result.results))
        checks = []
        for r in result.results:
            config = r.expectation_config
            rule = rule_name(config.type, config.kwargs, config.meta)
            problem = _evaluation_problem(r.exception_info)
            if problem:
                raise SuiteError(f"{extract}: {rule} could not be evaluated: {problem}")
            checks.append((self._failing_rows_check(extract, rule, config), _gx_failing_count(r)))
        named = self._count_failing_rows(extract, [check for check, _ in checks])
        for (check, counted), found in zip(checks, named, strict=True):
            if found != counted:
                raise SuiteError(
                    f"{extract}: {check.rule}: Great Expectations counts {counted} failing rows, "
                    f"the gate finds {found}; refusing to load until the rule is fixed")
            if found:
                self._con.execute(
                    f"insert into {table} select distinct _delivery_id, _line_number, ?, ?, "
                    f"{check.rendered} from {check.source} as failing where {check.where}",
                    [check.rule, check.description])
                verdict.rows_failed_by_rule[check.rule] = found
        verdict.seconds = {"gate: Great Expectations import and set-up": set_up - started,
                           "gate: Great Expectations judging (and data docs)": judged - set_up,
                           "gate: naming every failing row": perf_counter() - judged}
        return verdict

    def _fresh_snapshot(self) -> None:
        """GX keeps one SQLAlchemy connection open for DuckDB, and SQLAlchemy begins a
        transaction on it at the first query and never ends it: every later validation would
        read the warehouse as it was then (a stage table created since does not exist for it; one
        replaced since still shows the old rows). Ending that transaction before each run makes
        GX judge the rows staged now. Checked on every GX upgrade by the gate's tests."""
        engine = self._datasource.get_execution_engine()
        connection = getattr(engine, "_connection", None)
        if connection is not None:
            connection.rollback()

    def _failing_rows_check(self, extract: str, rule: str, config) -> FailingRowsCheck:
        description = config.description or rule
        if config.type == "unexpected_rows_expectation":
            # Substituted exactly as GX does (str.format), so `{{`/`}}` escape literal braces.
            query = config.kwargs["unexpected_rows_query"].format(batch=f"stage.{extract}")
            return query_check(self._con, extract, rule, description, query)
        try:
            predicate = row_predicate(config.type, config.kwargs)
        except UnsupportedExpectation as exc:
            raise SuiteError(f"{extract}: {rule}: {exc}") from exc
        return FailingRowsCheck(rule, description, f"stage.{extract}", predicate.where,
                                 predicate.shown, over_stage=True)

    def _count_failing_rows(self, extract: str, checks: list[FailingRowsCheck]) -> list[int]:
        """Failing rows per check: every predicate over the staged table in one scan (a staged
        row is one (delivery, line)), each query rule on its own."""
        counts: dict[int, int] = {}
        on_stage = [(i, c) for i, c in enumerate(checks) if c.over_stage]
        if on_stage:
            row = self._con.execute(
                "select " + ", ".join(f"count(*) filter (where {c.where})" for _, c in on_stage)
                + f" from stage.{extract}").fetchall()[0]
            counts.update({i: n for (i, _), n in zip(on_stage, row, strict=True)})
        for i, check in enumerate(checks):
            if not check.over_stage:
                counts[i] = self._con.execute(
                    f"select count(*) from (select distinct _delivery_id, _line_number "
                    f"from {check.source} as failing)").fetchall()[0][0]
        return [counts[i] for i in range(len(checks))]

    def close(self) -> None:
        if self._datasource is not None:
            execution_engine = self._datasource.get_execution_engine()
            execution_engine.close()
            for engine in (execution_engine.engine, self._datasource.get_engine()):
                engine.dispose()
                # SQLAlchemy memoises result processors per DB-API type code, DuckDB's type
                # codes are DuckDB objects, and a module-level cache keeps the dialect: cleared
                # here, none outlives the gate.
                engine.dialect._type_memos.clear()
        if self._cursor is not None:
            self._cursor.close()
        if self._context is not None:
            # gx.get_context() keeps the context as the process's project: let it go, or the
            # engine and its DuckDB cursor live on until interpreter exit.
            from great_expectations.data_context.data_context.context_factory import (
                project_manager,
            )

            project_manager.set_project(None)
        self._context = self._datasource = self._cursor = None
        self._checkpoints.clear()
        # Drop GX's references to DuckDB objects now, while the connection is still open,
        # rather than at interpreter exit.
        gc.collect()
