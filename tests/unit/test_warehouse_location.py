"""Which engine holds the warehouse, from the settings, and what dbt is given for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from carepath.check import _ScratchSettings
from carepath.settings import load_settings
from carepath.store import WarehouseSettingError, warehouse_location
from carepath.transform.dbt_build import dbt_target

URL = "postgresql://carepath:s%40cret@db.example:5433/network?sslmode=require"


def test_without_a_url_the_warehouse_is_the_duckdb_file(tmp_path, monkeypatch):
    monkeypatch.delenv("CAREPATH_WAREHOUSE", raising=False)
    settings = load_settings(tmp_path)
    location = warehouse_location(settings)
    assert (location.dialect, location.path) == ("duckdb", settings.warehouse_path)
    assert dbt_target(location) == ("duckdb", {"CAREPATH_DUCKDB_PATH": str(location.path)})


def test_a_postgresql_url_moves_the_warehouse_and_fills_dbt_s_profile(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREPATH_WAREHOUSE", URL)
    location = warehouse_location(load_settings(tmp_path))
    assert location.dialect == "postgres"
    assert dbt_target(location) == ("postgres", {
        "CAREPATH_PG_HOST": "db.example", "CAREPATH_PG_PORT": "5433",
        "CAREPATH_PG_USER": "carepath", "CAREPATH_PG_PASSWORD": "s@cret",
        "CAREPATH_PG_DBNAME": "network", "CAREPATH_PG_SSLMODE": "require"})
    # What logs and status print carries no password.
    assert location.describe() == "postgresql://carepath@db.example:5433/network"


def test_anything_else_is_refused_rather_than_guessed(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREPATH_WAREHOUSE", "mysql://carepath@db/network")
    with pytest.raises(WarehouseSettingError, match="must be a postgresql:// URL"):
        warehouse_location(load_settings(tmp_path))


def test_a_scratch_folder_never_uses_the_configured_warehouse(tmp_path, monkeypatch):
    """`carepath check` loads into a scratch folder: never into the real warehouse."""
    monkeypatch.setenv("CAREPATH_WAREHOUSE", URL)
    scratch = _ScratchSettings(data_dir=tmp_path / "scratch", project_dir=Path.cwd())
    assert warehouse_location(scratch).dialect == "duckdb"
