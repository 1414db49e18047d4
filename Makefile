# carepath: two commands do all set-up on a fresh machine.
#   make demo   build the environment, generate demo extracts, run the Airflow DAG, serve the dashboard
#   make test   the whole test suite (what CI runs)
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
PYTHON_VERSION := 3.11
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
# The marts on Spark build from an environment of their own (pyproject's spark group).
SPARK_VENV := .venv-spark

DATA ?= data
PORT ?= 8501
DEMO_SITES ?= 4
DEMO_MONTHS ?= 12
DEMO_SCALE ?= 1
DEMO_SEED ?= 42

export UV_PYTHON_DOWNLOADS := never
export CAREPATH_DATA_DIR := $(abspath $(DATA))
export AIRFLOW_HOME := $(abspath .airflow)
export AIRFLOW__CORE__DAGS_FOLDER := $(abspath dags)
export AIRFLOW__CORE__LOAD_EXAMPLES := False
# The dashboard's users (carepath users add/remove); the demo makes one (see demo-user).
export CAREPATH_USERS_FILE ?= $(abspath $(DATA))/access/users.json
DEMO_LOGIN := $(DATA)/access/demo-login.txt

.PHONY: help env spark-env engines demo pipeline dashboard demo-user lint test test-fast browser bench bench-load bench-dashboard clean

help:
	@echo "make demo   - set up, generate demo data, run the pipeline through Airflow, serve the dashboard on :$(PORT)"
	@echo "make lint   - ruff over the Python, sqlfluff over the dbt models"
	@echo "make test   - set up, lint, and run the whole test suite"
	@echo "make test-fast - lint, unit tests and dbt unit tests: the edit-test loop (minutes)"
	@echo "make bench - measure the whole pipeline at scales 1, 10 and 100 (an hour)"
	@echo "make bench-load - measure load and gate at 1 M and 10 M session rows (minutes)"
	@echo "make bench-dashboard - time every dashboard page's render at demo scale (minutes)"
	@echo "make clean  - remove generated data, the Airflow home and the environments"

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Re-synced only when the lock or the project metadata changes.
$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON_VERSION)
	touch $@

env: $(VENV)/.synced

# Only the spark group (dbt-core, dbt-spark, pyspark), at the versions the one lock pins.
$(SPARK_VENV)/.synced: $(UV) pyproject.toml uv.lock
	UV_PROJECT_ENVIRONMENT=$(SPARK_VENV) $(UV) sync --frozen --only-group spark --python $(PYTHON_VERSION)
	touch $@

spark-env: $(SPARK_VENV)/.synced

$(DATA)/landing/ground_truth.json: | env
	$(BIN)/carepath generate --out $(DATA)/landing --sites $(DEMO_SITES) \
	  --months $(DEMO_MONTHS) --scale $(DEMO_SCALE) --seed $(DEMO_SEED)

$(AIRFLOW_HOME)/airflow.db: | env
	$(BIN)/airflow db migrate > /dev/null

# Runs the real DAG once, without a scheduler; files already in the ledger are not reloaded.
pipeline: env $(DATA)/landing/ground_truth.json $(AIRFLOW_HOME)/airflow.db
	CAREPATH_TASK_RETRIES=0 $(BIN)/airflow dags test carepath_pipeline > $(DATA)/last_dag_run.log 2>&1 \
	  || { tail -n 60 $(DATA)/last_dag_run.log; echo "DAG run failed: see $(DATA)/last_dag_run.log"; exit 1; }
	@$(BIN)/carepath status

# The demo's own all-sites user, with a random password kept beside the users file; made again
# when the users file no longer has it (deleted, or another one named). A real deployment adds
# its users with `carepath users add` and never keeps a password.
demo-user: env
	@mkdir -p $(dir $(DEMO_LOGIN))
	@if ! $(BIN)/carepath users list 2>/dev/null | grep -q '^demo	' || [ ! -f $(DEMO_LOGIN) ]; then \
	  password=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(15))'); \
	  printf '%s' "$$password" | $(BIN)/carepath users add demo --all-sites --password-stdin \
	  && (umask 077; printf 'user: demo\npassword: %s\n' "$$password" > $(DEMO_LOGIN)); \
	fi

dashboard: env demo-user
	@echo "carepath dashboard: http://localhost:$(PORT) - sign in as in $(DEMO_LOGIN)"
	@cat $(DEMO_LOGIN)
	$(BIN)/streamlit run dashboard/app.py --server.port $(PORT) --server.headless true \
	  --browser.gatherUsageStats false

demo: pipeline dashboard

# Debian's chromium drives the browser test and prints the QI pack as PDF (playwright never
# downloads a browser here); poppler-utils' pdftotext reads the PDF back in the pack's test.
browser:
	@command -v chromium > /dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null; }
	@command -v pdftotext > /dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils > /dev/null; }

# The engine parity tests start a throwaway PostgreSQL server and a local Spark (Java 17).
engines:
	@ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql > /dev/null; }
	@command -v java > /dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless > /dev/null; }

# The linters run first: a style slip fails in seconds, not after the suite. The suite runs on
# every core (pytest-xdist); a test file stays on one worker, so its fixtures are built once.
lint: env
	$(BIN)/ruff check .
	cd dbt_project && ../$(BIN)/sqlfluff lint models --disable-progress-bar --processes 2

test: env spark-env browser engines lint
	$(BIN)/pytest -n auto --dist loadfile

# The edit-test loop: lint, the unit tests and dbt's unit tests (on the demo warehouse), in a
# few minutes; `make test` before pushing.
test-fast: env lint
	$(BIN)/pytest -n auto --dist loadfile tests/unit \
		tests/pipeline/test_dbt_models.py::test_every_unit_test_passes

# The whole pipeline at generator scales 1, 10 and 100 (about 21 M session rows) against DuckDB
# reading the same files: a measurement, not a test (scale 100 takes the better part of an hour,
# most of it generating the data once); writes benchmarks/pipeline_scale_report.md.
bench: env
	$(BIN)/python benchmarks/pipeline_scale.py

# Each dashboard page's render time at demo scale (AppTest, no browser), against 2 s a page;
# writes benchmarks/dashboard_render_report.md.
bench-dashboard: env
	$(BIN)/python benchmarks/dashboard_render.py

# Load and gate at 1 M and 10 M session rows against DuckDB reading the same files: a
# measurement, not a test (it takes minutes); writes benchmarks/load_gate_report.md.
bench-load: env
	CAREPATH_SETTLE_SECONDS=0 $(BIN)/python benchmarks/load_gate.py

clean:
	rm -rf $(DATA) $(AIRFLOW_HOME) $(VENV) $(SPARK_VENV) $(TOOLS)
