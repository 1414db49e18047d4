"""The Airflow DAGs: they import cleanly, and the real DAG runs the pipeline end to end."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from support.extract_files import write_rows
from support.paths import BIN, ROOT

DAGS = ROOT / "dags"


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("airflow_home")
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "CAREPATH_TASK_RETRIES": "0"}
    migrate = subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env,
                             capture_output=True, text=True)
    assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]
    return env


@pytest.fixture(scope="module")
def dagbag(airflow_env):
    os.environ.update({k: airflow_env[k] for k in ("AIRFLOW_HOME", "AIRFLOW__CORE__DAGS_FOLDER",
                                                   "AIRFLOW__CORE__LOAD_EXAMPLES")})
    from airflow.models import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_dags_import_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == {"carepath_pipeline"}


def test_every_dag_has_tags_retries_and_no_catchup(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, dag_id
        assert dag.catchup is False, dag_id
        assert dag.max_active_runs == 1, f"{dag_id}: DuckDB takes one writer at a time"
        for task in dag.tasks:
            assert task.retries >= 1 or os.environ.get("CAREPATH_TASK_RETRIES") == "0", task
            assert task.retry_delay.total_seconds() > 0


def test_pipeline_dag_orders_load_build_publish(dagbag):
    dag = dagbag.get_dag("carepath_pipeline")
    order = {t.task_id: {u.task_id for u in t.upstream_list} for t in dag.tasks}
    assert order["marts_outdated"] == {"load_extracts"}
    assert order["build_marts"] == {"marts_outdated"}
    assert order["publish_marts"] == {"load_extracts", "build_marts"}


def test_dag_files_stay_thin():
    for path in DAGS.glob("*.py"):
        source = path.read_text()
        assert "from carepath" in source, path.name
        assert "duckdb" not in source and "great_expectations" not in source, path.name


def test_parsing_a_dag_file_imports_no_heavy_library():
    """The scheduler parses DAG files every few seconds: the pipeline's libraries are imported
    inside the tasks, not at parse time."""
    heavy = ("duckdb", "pyarrow", "pandas", "great_expectations", "dbt")
    for path in DAGS.glob("*.py"):
        probe = (f"import importlib.util, sys; "
                 f"spec = importlib.util.spec_from_file_location('dag', {str(path)!r}); "
                 f"spec.loader.exec_module(importlib.util.module_from_spec(spec)); "
                 f"print(sorted(m for m in {heavy!r} if m in sys.modules))")
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                timeout=300, cwd=ROOT)
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stdout.strip().splitlines()[-1] == "[]", (path.name, result.stdout)


def _dags_test(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "airflow"), "dags", "test", "carepath_pipeline"], env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_airflow_runs_the_pipeline_end_to_end(airflow_env, demo_landing, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(demo_landing / "DEN", data / "landing" / "DEN")
    # A careless extract: a raw patient id (pseudonymised at the door) and an NHS number typed
    # into a code column (withheld). Neither may reach the task logs.
    write_rows(data / "landing", "DEN", "referrals", "DEN_referrals_2026-10_v9.csv", [
        {"referral_id": "DEN-HOSTILE-1", "site_code": "DEN", "patient_id": "PAT-AIRFLOW-1",
         "priority": "943 476 5919"}])
    env = {**airflow_env, "CAREPATH_DATA_DIR": str(data)}
    run = _dags_test(env)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    logs = [run.stdout, run.stderr] + [
        p.read_text(errors="replace") for p in Path(airflow_env["AIRFLOW_HOME"]).rglob("*.log")]
    for raw in ("PAT-AIRFLOW-1", "943 476 5919"):
        assert not any(raw in text for text in logs), f"{raw!r} reached the Airflow logs"
    con = duckdb.connect(str(data / "published.duckdb"), read_only=True)
    try:
        for mart in ("fct_referral_latency", "fct_adherence", "fct_outcome_registry"):
            assert con.execute(f"select count(*) from marts.{mart}").fetchall()[0][0] > 0, mart
        files = con.execute("select count(*) from ops.loaded_files").fetchall()[0][0]
    finally:
        con.close()
    assert files == len(list((data / "landing").rglob("*.csv")))
    published_at = (data / "published.duckdb").stat().st_mtime
    # What `make pipeline` prints after the DAG: the last load, file by file.
    status = subprocess.run([str(BIN / "carepath"), "status"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert status.returncode == 0, status.stderr
    for csv in (data / "landing").rglob("*.csv"):
        name = csv.relative_to(data / "landing").as_posix()
        assert re.search(rf"^    loaded +{re.escape(name)} \d+ rows loaded", status.stdout,
                         re.M), (name, status.stdout[:2000])
    assert not any(raw in status.stdout for raw in ("PAT-AIRFLOW-1", "943 476 5919"))

    again = _dags_test(env)  # nothing new: build and publish are skipped
    assert again.returncode == 0, again.stdout[-4000:] + again.stderr[-4000:]
    assert (data / "published.duckdb").stat().st_mtime == published_at


@pytest.mark.slow
def test_a_failing_task_fails_the_dag_run(airflow_env, tmp_path):
    # A warehouse from an earlier carepath, whose ledger lacks today's columns: the load task
    # must refuse it (a broken site mapping, by contrast, only rejects that site's files).
    data = tmp_path / "data"
    data.mkdir()
    con = duckdb.connect(str(data / "warehouse.duckdb"))
    con.execute("create schema ops; create table ops.loaded_files (delivery_id BIGINT)")
    con.close()
    env = {**airflow_env, "CAREPATH_DATA_DIR": str(data)}
    run = _dags_test(env)
    assert run.returncode != 0
    assert "written by an earlier carepath" in run.stdout + run.stderr
    assert not (data / "published.duckdb").exists()
