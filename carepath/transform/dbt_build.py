"""Run the dbt project in-process against the warehouse and report what it built and tested."""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from carepath.settings import Settings
from carepath.store import WarehouseLocation, warehouse_location
from carepath.transform.test_failures import FailedTest, trace_failed_tests

# What changes the marts besides new data: the project's own files.
_PROJECT_GLOBS = ("dbt_project.yml", "profiles.yml", "models/**/*", "macros/**/*", "seeds/**/*",
                  "tests/**/*")


@dataclass
class DbtReport:
    success: bool
    command: str
    counts: dict[str, int] = field(default_factory=dict)  # "<resource>:<status>" -> n
    failures: list[str] = field(default_factory=list)
    failed_tests: list[FailedTest] = field(default_factory=list)
    results: list[dict] | None = field(default=None, repr=False)  # dbt's run_results entries
    log_file: str | None = None  # dbt's whole output

    @property
    def tests_passed(self) -> int:
        return sum(n for k, n in self.counts.items() if k.split(":")[0] in ("test", "unit_test")
                   and k.endswith(":pass"))

    @property
    def tests_failed(self) -> int:
        return sum(n for k, n in self.counts.items() if k.split(":")[0] in ("test", "unit_test")
                   and k.split(":")[1] in ("fail", "error"))

    def as_dict(self) -> dict:
        return {"success": self.success, "command": self.command, "counts": self.counts,
                "failures": self.failures, "tests_passed": self.tests_passed,
                "tests_failed": self.tests_failed,
                "failed_tests": [t.as_dict() for t in self.failed_tests]}


def project_fingerprint(project_dir: Path) -> str:
    digest = hashlib.sha256()
    files = sorted({p for g in _PROJECT_GLOBS for p in project_dir.glob(g) if p.is_file()})
    for path in files:
        digest.update(str(path.relative_to(project_dir)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _dbt_executable() -> str:
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def _die_with_parent() -> None:
    """Run in the dbt child before exec: the kernel kills it when the run that started it dies
    (even by SIGKILL), so a killed run never leaves dbt writing the warehouse."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


# profiles.yml reads the PostgreSQL connection from these, filled from CAREPATH_WAREHOUSE.
_PG_PROFILE_VARIABLES = {"host": "CAREPATH_PG_HOST", "port": "CAREPATH_PG_PORT",
                         "user": "CAREPATH_PG_USER", "password": "CAREPATH_PG_PASSWORD",
                         "dbname": "CAREPATH_PG_DBNAME", "sslmode": "CAREPATH_PG_SSLMODE"}


def dbt_target(location: WarehouseLocation) -> tuple[str, dict[str, str]]:
    """The profiles.yml target for the warehouse, and the variables it reads."""
    if location.url is None:
        return "duckdb", {"CAREPATH_DUCKDB_PATH": str(location.path)}
    import psycopg.conninfo

    parts = psycopg.conninfo.conninfo_to_dict(location.url)
    return "postgres", {variable: str(parts[part])
                        for part, variable in _PG_PROFILE_VARIABLES.items() if part in parts}


def run_dbt(settings: Settings, *args: str, echo: bool = True,
            on_node: Callable[[int, int], None] | None = None) -> DbtReport:
    """`dbt <args>` against the warehouse, target and logs under the data folder. Its output
    goes to `<data>/dbt/logs/dbt-output.log`, and with `echo` to this process's output too;
    `on_node(done, total)` hears each node dbt finishes.

    dbt runs in its own process: dbt-duckdb keeps the warehouse attached for the life of the
    process that ran it, which would lock out the publish step and any later run in this one.
    """
    target_name, variables = dbt_target(warehouse_location(settings))
    report = _run_dbt_process(settings, _dbt_executable(), target_name, variables, args, echo,
                              on_node=on_node)
    if report.results is not None:
        report.failed_tests = trace_failed_tests(settings, report.results)
        report.failures += [t.render() for t in report.failed_tests]
    return report


# A line dbt prints when it finishes a node: "12:00:01  3 of 40 OK created sql table model ...".
_NODE_DONE = re.compile(r"^\S*\s+(\d+) of (\d+) (?!START)[A-Z]")


def _run_dbt_process(settings: Settings, executable: str, target_name: str,
                     variables: dict[str, str], args: tuple[str, ...], echo: bool,
                     data_subdir: str = "dbt", cwd: Path | None = None,
                     on_node: Callable[[int, int], None] | None = None) -> DbtReport:
    target = settings.data_dir / data_subdir / "target"
    logs = settings.data_dir / data_subdir / "logs"
    project = str(settings.dbt_project_dir)
    argv = [executable, *args, "--target", target_name, "--project-dir", project,
            "--profiles-dir", project, "--target-path", str(target), "--log-path", str(logs)]
    env = {**os.environ, **variables}
    # Colour only where a person reads it as it comes: not in the log file, not in a pipe.
    env["DBT_USE_COLORS"] = "true" if echo and sys.stdout.isatty() else "false"
    (target / "run_results.json").unlink(missing_ok=True)
    # The dbt child needs the warehouse, not the pseudonymisation key.
    env.pop("CAREPATH_PSEUDONYM_KEY", None)
    logs.mkdir(parents=True, exist_ok=True)
    output: list[str] = []
    with (subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, cwd=cwd,
                           preexec_fn=_die_with_parent if sys.platform == "linux" else None)
          as proc, (logs / "dbt-output.log").open("w", encoding="utf-8") as log):
        for line in proc.stdout:
            output.append(line)
            log.write(line)
            if echo:
                sys.stdout.write(line)
            done = _NODE_DONE.match(line)
            if on_node is not None and done:
                on_node(int(done.group(1)), int(done.group(2)))
    report = DbtReport(success=proc.returncode == 0, command="dbt " + " ".join(args),
                       log_file=str(logs / "dbt-output.log"))
    results_file = target / "run_results.json"
    if not results_file.exists():
        report.failures.append(f"dbt {args[0]} exited {proc.returncode} without results: "
                               + "".join(output).strip()[-2000:])
        return report
    report.results = json.loads(results_file.read_text())["results"]
    for node in report.results:
        resource = node["unique_id"].split(".")[0]
        key = f"{resource}:{node['status']}"
        report.counts[key] = report.counts.get(key, 0) + 1
        if node["status"] in ("fail", "error") and resource != "test":
            report.failures.append(f"{node['unique_id']}: {node.get('message')}")
    return report


def build_marts(settings: Settings, full_refresh: bool = False, echo: bool = True,
                on_node: Callable[[int, int], None] | None = None) -> DbtReport:
    """`dbt build` of the models and their data tests; `full_refresh` rebuilds the incremental
    models from the whole history. The unit tests pin the models' logic, not the data, so they
    run in the test suite (tests/pipeline/test_dbt_models.py) rather than on every build, as
    dbt advises: they cost a third of a small build."""
    return run_dbt(settings, "build", "--exclude-resource-type", "unit_test",
                   *(["--full-refresh"] if full_refresh else []), echo=echo, on_node=on_node)


def spark_dbt_executable(settings: Settings) -> Path:
    """dbt in the Spark environment (`make spark-env`), kept apart from the pipeline's."""
    return Path(os.environ.get("CAREPATH_SPARK_DBT",
                               settings.project_dir / ".venv-spark" / "bin" / "dbt"))


def build_marts_on_spark(settings: Settings, parquet_dir: Path, spark_dir: Path,
                         echo: bool = True) -> DbtReport:
    """`dbt build` of the models and data tests on an in-process Spark session, from the landed
    tables `carepath export-parquet` wrote to `parquet_dir`; Spark keeps its tables and their
    catalogue under `spark_dir`. Always in full: on plain Parquet tables the incremental models
    rebuild whole (macro incremental_materialization)."""
    executable = spark_dbt_executable(settings)
    if not executable.exists():
        raise FileNotFoundError(f"{executable} is missing: `make spark-env` makes the Spark "
                                "environment (or set CAREPATH_SPARK_DBT to a dbt with dbt-spark)")
    variables = {"CAREPATH_PARQUET_DIR": str(parquet_dir.resolve()),
                 "CAREPATH_SPARK_DIR": str(spark_dir.resolve())}
    # Run in the Spark folder: Spark writes its catalogue's log (derby.log) where it runs.
    spark_dir.mkdir(parents=True, exist_ok=True)
    return _run_dbt_process(settings, str(executable), "spark", variables,
                            ("build", "--exclude-resource-type", "unit_test"), echo,
                            data_subdir="dbt-spark", cwd=spark_dir)
