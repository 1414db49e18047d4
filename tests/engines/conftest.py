"""A throwaway PostgreSQL server for the engine tests, one per test worker."""

from __future__ import annotations

import pytest
from support.ports import free_port
from support.postgres_server import throwaway_postgres


@pytest.fixture(scope="session")
def postgres_server() -> str:
    with throwaway_postgres(free_port()) as url:
        yield url
