"""Where carepath reads and writes. Every path can be moved with an environment variable."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

PROJECT_DIR = Path(os.environ.get("CAREPATH_PROJECT_DIR", Path(__file__).resolve().parents[1]))


# A file whose size or modification time changed more recently than this is still arriving.
DEFAULT_SETTLE_SECONDS = 5.0
# A file without a final line break may be a transfer cut short; it waits this long for the
# rest before it is judged as it is (and most likely rejected, with the reason).
DEFAULT_INCOMPLETE_AFTER_SECONDS = 3600.0


@dataclass(frozen=True)
class Patience:
    """How long the landing scan waits for a file that may still be arriving."""

    settle_seconds: float = DEFAULT_SETTLE_SECONDS
    incomplete_after_seconds: float = DEFAULT_INCOMPLETE_AFTER_SECONDS


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    project_dir: Path = PROJECT_DIR
    # The PostgreSQL warehouse ($CAREPATH_WAREHOUSE, read by load_settings); None: DuckDB's
    # warehouse.duckdb in the data folder. Settings made for a scratch folder (`carepath check`)
    # leave it None, so they never write to the real warehouse.
    warehouse_url: str | None = field(default=None, repr=False)

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
    def work_dir(self) -> Path:
        """Scratch space for one run: literal-named links to the files being read."""
        return self.data_dir / "work"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / "carepath.lock"

    @property
    def last_build_path(self) -> Path:
        """What the latest dbt build did, published or not (read by `carepath status`)."""
        return self.data_dir / "last_build.json"

    @property
    def last_load_path(self) -> Path:
        """What the latest load did with each file (read by `carepath status`)."""
        return self.data_dir / "last_load.json"

    @property
    def patience(self) -> Patience:
        """How long a landed file may still be arriving: modified in the last
        $CAREPATH_SETTLE_SECONDS (5), or without a final line break for up to
        $CAREPATH_INCOMPLETE_AFTER_SECONDS (3600)."""
        return Patience(float(os.environ.get("CAREPATH_SETTLE_SECONDS", "5")),
                        float(os.environ.get("CAREPATH_INCOMPLETE_AFTER_SECONDS", "3600")))

    @property
    def earliest_plausible_date(self) -> date:
        """No event in an extract can be older than this (typing errors such as 1900)."""
        return date.fromisoformat(os.environ.get("CAREPATH_EARLIEST_PLAUSIBLE_DATE", "2000-01-01"))

    @property
    def future_tolerance_days(self) -> int:
        """No event can be later than the file's delivery date plus this many days."""
        return int(os.environ.get("CAREPATH_FUTURE_TOLERANCE_DAYS", "1"))

    @property
    def disclosure_min_count(self) -> int:
        """Counts below this (and above 0) are shown as "<N" on the dashboard and in its
        exports, and figures computed over such a count are withheld (statistical disclosure
        control, carepath/publish/disclosure.py; 5 is the usual NHS threshold)."""
        return int(os.environ.get("CAREPATH_DISCLOSURE_MIN_COUNT", "5"))

    @property
    def disclosure_policy(self) -> str:
        """The policy for what a published audience sees (carepath/publish/
        disclosure_policies.py): nhs_digital (default), opensafely_midpoint6, ons_10_5, or
        threshold (with CAREPATH_DISCLOSURE_MIN_COUNT as its n)."""
        return os.environ.get("CAREPATH_DISCLOSURE_POLICY", "nhs_digital").strip()

    @property
    def mappings_dir(self) -> Path:
        return Path(os.environ.get("CAREPATH_MAPPINGS_DIR", self.project_dir / "mappings"))

    @property
    def direct_identifiers_path(self) -> Path:
        """The column names that announce a direct patient identifier, with their source."""
        return Path(os.environ.get("CAREPATH_DIRECT_IDENTIFIERS",
                                   self.project_dir / "config" / "direct_identifiers.yml"))

    @property
    def expectations_dir(self) -> Path:
        return self.project_dir / "expectations"

    @property
    def dbt_project_dir(self) -> Path:
        return self.project_dir / "dbt_project"


def load_settings(data_dir: str | Path | None = None) -> Settings:
    chosen = data_dir or os.environ.get("CAREPATH_DATA_DIR") or PROJECT_DIR / "data"
    return Settings(data_dir=Path(chosen).resolve(),
                    warehouse_url=os.environ.get("CAREPATH_WAREHOUSE", "").strip() or None)
