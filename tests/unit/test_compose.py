"""docker-compose.yml: valid against the Compose specification, and internally consistent."""

from __future__ import annotations

import re
import subprocess

import yaml
from support.paths import BIN, ROOT

COMPOSE = ROOT / "docker-compose.yml"
CELERY = ROOT / "docker-compose.celery.yml"
AIRFLOW_SERVICES = ("airflow-init", "airflow-apiserver", "airflow-scheduler",
                    "airflow-dag-processor")


def _compose(path=COMPOSE) -> dict:
    return yaml.safe_load(path.read_text())


def test_compose_files_validate_against_the_compose_spec():
    result = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema",
                             "vendor.compose-spec", str(COMPOSE), str(CELERY)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_celery_override_runs_every_airflow_service_on_celery_with_n_workers():
    base, celery = _compose(), _compose(CELERY)
    services = celery["services"]
    for name in (*AIRFLOW_SERVICES, "airflow-worker"):
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:"), name
    assert base["x-carepath"]["environment"]["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    worker = services["airflow-worker"]
    assert worker["command"] == ["airflow", "celery", "worker"]
    assert worker["extends"] == {"file": COMPOSE.name, "service": "airflow-scheduler"}
    assert "${AIRFLOW_WORKERS" in str(worker["deploy"]["replicas"])
    every_service = set(base["services"]) | set(services)
    for name, service in services.items():
        for dependency in service.get("depends_on") or {}:
            assert dependency in every_service, f"{name} depends on unknown {dependency}"


def test_under_celery_the_workers_hold_the_key_and_the_scheduler_does_not():
    base, celery = _compose(), _compose(CELERY)
    # The worker extends the base file's scheduler, whose environment carries the key.
    assert "${CAREPATH_PSEUDONYM_KEY:?" in base["services"]["airflow-scheduler"][
        "environment"]["CAREPATH_PSEUDONYM_KEY"]
    assert "CAREPATH_PSEUDONYM_KEY" not in celery["services"]["airflow-worker"]["environment"]
    assert celery["services"]["airflow-scheduler"]["environment"][
        "CAREPATH_PSEUDONYM_KEY"] == ""


def test_services_run_airflow_and_the_dashboard_on_one_shared_volume():
    services = _compose()["services"]
    assert {"postgres", "airflow-init", "airflow-apiserver", "airflow-scheduler",
            "airflow-dag-processor", "dashboard"} <= set(services)
    commands = {name: " ".join(s.get("command", [])) for name, s in services.items()}
    assert commands["airflow-scheduler"] == "airflow scheduler"
    assert commands["airflow-dag-processor"] == "airflow dag-processor"
    assert commands["airflow-apiserver"].startswith("airflow api-server")
    assert commands["dashboard"].startswith("streamlit run dashboard/app.py")
    for name in ("airflow-scheduler", "airflow-dag-processor", "dashboard"):
        assert "carepath-data:/data" in services[name]["volumes"], name


def test_every_named_volume_and_dependency_exists():
    doc = _compose()
    declared = set(doc["volumes"])
    for name, service in doc["services"].items():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name} mounts undeclared volume {source}"
        for dependency in service.get("depends_on") or {}:
            assert dependency in doc["services"], f"{name} depends on unknown {dependency}"


def test_secrets_come_from_the_environment_not_the_file():
    text = COMPOSE.read_text()
    assert "${CAREPATH_PSEUDONYM_KEY:?" in text and "${AIRFLOW_JWT_SECRET:?" in text


def test_dockerfile_copies_only_what_exists():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for sources in re.findall(r"^COPY (.+) \S+$", dockerfile, flags=re.M):
        for source in sources.split():
            assert (ROOT / source).exists(), source


def test_only_the_container_that_loads_files_gets_the_key():
    services = _compose()["services"]
    holders = {name for name, s in services.items()
               if "CAREPATH_PSEUDONYM_KEY" in (s.get("environment") or {})}
    # LocalExecutor runs the DAG's tasks inside the scheduler.
    assert services["airflow-scheduler"]["environment"]["AIRFLOW__CORE__EXECUTOR"] == \
        "LocalExecutor"
    assert holders == {"airflow-scheduler"}
    # The dashboard gets the data folder, its users file (on the data volume) and, with a
    # PostgreSQL warehouse, a connection of its own (a role that may only read the published
    # schemas), nothing else.
    assert set(services["dashboard"]["environment"]) == {"CAREPATH_DATA_DIR",
                                                         "CAREPATH_USERS_FILE",
                                                         "CAREPATH_WAREHOUSE"}
    assert services["dashboard"]["environment"]["CAREPATH_WAREHOUSE"] == \
        "${CAREPATH_DASHBOARD_WAREHOUSE:-}"
    assert services["dashboard"]["environment"]["CAREPATH_USERS_FILE"].startswith(
        services["dashboard"]["environment"]["CAREPATH_DATA_DIR"] + "/")
