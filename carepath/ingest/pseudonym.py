"""Keyed pseudonyms for patient identifiers, applied as the file is read.

HMAC-SHA256 under a site-independent secret key: the same patient gets the same pseudonym in
every extract and delivery, and nobody without the key can recompute it from an identifier.
The key comes from $CAREPATH_PSEUDONYM_KEY or a key file outside the repo, never from git.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

ENV_VAR = "CAREPATH_PSEUDONYM_KEY"
SQL_FUNCTION = "carepath_pseudonym"


class MissingKeyError(RuntimeError):
    pass


def load_key(key_path: Path, create: bool = False) -> bytes:
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR].encode()
    if key_path.exists():
        return key_path.read_bytes().strip()
    if not create:
        raise MissingKeyError(
            f"no pseudonymisation key: set ${ENV_VAR} or create {key_path} (the demo makes one)")
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


def pseudonymise(key: bytes, identifier: str) -> str:
    return hmac.new(key, identifier.encode(), hashlib.sha256).hexdigest()


def register(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Expose the keyed hash to SQL, vectorised over Arrow so large files stay fast.

    A patient appears in many rows (every session, every outcome), so each distinct identifier
    is hashed once per run: DuckDB hands the function chunks of rows, each chunk is reduced to
    its distinct values, and only values not seen before reach HMAC.
    """
    known: dict[str, str] = {}

    def _hash(ids: pa.Array | pa.ChunkedArray) -> pa.Array:
        if isinstance(ids, pa.ChunkedArray):
            ids = ids.combine_chunks()
        encoded = pc.dictionary_encode(ids)
        distinct = encoded.dictionary.to_pylist()
        for identifier in distinct:
            if identifier not in known:
                known[identifier] = pseudonymise(key, identifier)
        hashed = pa.array([known[i] for i in distinct], type=pa.string())
        return pc.take(hashed, encoded.indices)

    con.create_function(SQL_FUNCTION, _hash, ["VARCHAR"], "VARCHAR", type="arrow",
                        null_handling="special", side_effects=False)
