"""Where carepath reads and writes. Every path can be moved with an environment variable."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(os.environ.get("CAREPATH_PROJECT_DIR", Path(__file__).resolve().parents[1]))


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    project_dir: Path = PROJECT_DIR

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def published_path(self) -> Path:
        """The copy of the marts the dashboard reads; replaced whole, only after a run passed."""
        return self.data_dir / "published.duckdb"

    @property
    def secret_key_path(self) -> Path:
        return self.data_dir / "secrets" / "pseudonym.key"

    @property
    def gx_dir(self) -> Path:
        return self.data_dir / "gx"

    @property
    def mappings_dir(self) -> Path:
        return Path(os.environ.get("CAREPATH_MAPPINGS_DIR", self.project_dir / "mappings"))

    @property
    def expectations_dir(self) -> Path:
        return self.project_dir / "expectations"

    @property
    def dbt_project_dir(self) -> Path:
        return self.project_dir / "dbt_project"


def load_settings(data_dir: str | Path | None = None) -> Settings:
    chosen = data_dir or os.environ.get("CAREPATH_DATA_DIR") or PROJECT_DIR / "data"
    return Settings(data_dir=Path(chosen).resolve())
