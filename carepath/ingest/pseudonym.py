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


# A key shorter than this could be guessed from the pseudonyms; 32 bytes is the output size of
# SHA-256, the hash under the HMAC (RFC 2104 recommends a key at least that long).
MIN_KEY_BYTES = 32
_FINGERPRINT_LABEL = b"carepath pseudonymisation key fingerprint"


class KeyProblem(RuntimeError):
    """The run cannot pseudonymise safely; the message says what to do."""


class MissingKeyError(KeyProblem):
    pass


class KeyMismatch(KeyProblem):
    pass


def load_key(key_path: Path, create: bool = False) -> bytes:
    """The key from $CAREPATH_PSEUDONYM_KEY, else the key file; created only when `create` (a
    warehouse that holds pseudonyms already is never given a new key: see check_key)."""
    if os.environ.get(ENV_VAR, "").strip():
        key, origin = os.environ[ENV_VAR].strip().encode(), f"${ENV_VAR}"
    elif key_path.exists():
        key, origin = key_path.read_bytes().strip(), str(key_path)
    elif create:
        key_path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32).encode()
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        return key
    else:
        raise MissingKeyError(
            f"no pseudonymisation key: set ${ENV_VAR} or create {key_path} (the demo makes one)")
    if len(key) < MIN_KEY_BYTES:
        raise KeyProblem(f"the pseudonymisation key from {origin} is {len(key)} bytes; it must be "
                         f"at least {MIN_KEY_BYTES} (for example: python -c 'import secrets; "
                         f"print(secrets.token_hex(32))')")
    return key


def key_fingerprint(key: bytes) -> str:
    """Names the key without revealing it: the warehouse records it to refuse another key."""
    return hmac.new(key, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]


def recorded_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    rows = con.execute("select fingerprint from ops.pseudonym_key").fetchall()
    return rows[0][0] if rows else None


def check_key(con: duckdb.DuckDBPyConnection, key: bytes, recorded: str | None) -> None:
    """A pseudonym must mean one patient for the life of the warehouse: the first load records
    the key's fingerprint, and a later run with another key stops before it writes anything.
    `recorded`: the warehouse's fingerprint (recorded_fingerprint), None before the first load."""
    current = key_fingerprint(key)
    if recorded is None:
        con.execute("insert into ops.pseudonym_key values (?, current_timestamp)", [current])
    elif recorded != current:
        raise KeyMismatch(
            f"this warehouse's pseudonyms were made with the key whose fingerprint is "
            f"{recorded}, but this run's key has fingerprint {current}: loading with it would "
            f"give every patient a second pseudonym. Restore the original key (${ENV_VAR} or "
            f"the key file); nothing was loaded")


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
