"""Shared fixtures: one small generated data set, run once through the real pipeline."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from support.paths import BIN, ROOT
from support.ports import free_port
from support.sign_in import write_users_file

from carepath.generate import generate
from carepath.pipeline import RunSummary, run_pipeline
from carepath.settings import Settings, load_settings

# Test files are written a moment before they are loaded; in production a file modified in the
# last few seconds is still arriving and waits (tests of that set the variable themselves).
os.environ["CAREPATH_SETTLE_SECONDS"] = "0"
os.environ["CAREPATH_INCOMPLETE_AFTER_SECONDS"] = "0"


# Small but complete: four sites over six months, one in its own layout and three with a
# planted bottleneck (the seed puts the triage backlog, the high DNA rate and the slow first
# appointment at sites in the canonical layout, whose files the generator tests read), and
# every branch the recomputation checks for (a death before the follow-up window, an
# item-level questionnaire too incomplete to score).
DEMO = {"sites": 4, "months": 6, "scale": 0.4, "seed": 32}


@pytest.fixture(scope="session")
def demo_landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "landing"
    generate(out, **DEMO)
    return out


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory, demo_landing) -> tuple[Settings, RunSummary]:
    data = tmp_path_factory.mktemp("pipeline")
    shutil.copytree(demo_landing, data / "landing")
    settings = load_settings(data)
    summary = run_pipeline(settings)
    assert summary.ok, summary.render()
    return settings, summary


@pytest.fixture
def data_dir(tmp_path) -> Settings:
    """An empty data folder with its own pseudonymisation key."""
    settings = load_settings(tmp_path / "data")
    settings.landing_dir.mkdir(parents=True)
    return settings


@pytest.fixture(scope="session")
def dashboard_users(tmp_path_factory) -> Path:
    """A users file with an all-sites user and a site user (support.sign_in)."""
    return write_users_file(tmp_path_factory.mktemp("access") / "users.json")


@pytest.fixture
def running_dashboard(pipeline_run, dashboard_users):
    """The real dashboard served by `streamlit run` on a free port, reading the test marts."""
    settings, _ = pipeline_run
    port = free_port()
    env = {**os.environ, "CAREPATH_DATA_DIR": str(settings.data_dir),
           "CAREPATH_USERS_FILE": str(dashboard_users)}
    proc = subprocess.Popen(
        [str(BIN / "streamlit"), "run", str(ROOT / "dashboard" / "app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: {proc.stdout.read()}") from None
            time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError("streamlit did not start within 60 s")
    yield f"http://127.0.0.1:{port}", settings
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def pytest_terminal_summary(terminalreporter):
    """The engine parity tests' timings (recorded with record_property("engine_seconds")),
    printed after the run: under pytest-xdist a passing test's own output is not shown."""
    reports = [r for status in ("passed", "failed") for r in terminalreporter.stats.get(status, [])
               if getattr(r, "when", None) == "call"]
    timings = [(r.nodeid, value) for r in reports for name, value in r.user_properties
               if name == "engine_seconds"]
    if timings:
        terminalreporter.section("engine parity: how long each took")
        for nodeid, seconds in sorted(timings):
            terminalreporter.write_line(f"{seconds:8.1f} s  {nodeid}")
