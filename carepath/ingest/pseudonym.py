"""Keyed pseudonyms for patient identifiers, applied as the file is read.

HMAC-SHA256 under a site-independent secret key: the same patient gets the same pseudonym in
every extract and delivery, and nobody without the key can recompute it from an identifier.
The key comes from $CAREPATH_PSEUDONYM_KEY or a key file outside the repo, never from git.

A rotated key is a chain: one key per line, oldest first. The identifiers themselves are never
stored, so a rotation cannot recompute pseudonyms from them; it re-keys each stored pseudonym
instead (HMAC under the new key of the old pseudonym, key_rotation.py), and a pseudonym is the
HMAC chain over every key in turn. A chain of one key is the plain HMAC.
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


# One key, or a rotated chain of them (oldest first).
Keys = bytes | tuple[bytes, ...]


def _chain(keys: Keys) -> tuple[bytes, ...]:
    return (keys,) if isinstance(keys, bytes) else tuple(keys)


def parse_keys(text: bytes, origin: str) -> tuple[bytes, ...]:
    """The keys in a key file or $CAREPATH_PSEUDONYM_KEY: one per line, oldest first, each
    stripped of surrounding white space and at least MIN_KEY_BYTES long."""
    keys = tuple(line.strip() for line in text.splitlines() if line.strip())
    if not keys:
        raise MissingKeyError(f"the pseudonymisation key from {origin} is empty")
    for number, key in enumerate(keys, 1):
        if len(key) < MIN_KEY_BYTES:
            which = "" if len(keys) == 1 else f" (line {number})"
            raise KeyProblem(f"the pseudonymisation key from {origin}{which} is {len(key)} "
                             f"bytes; it must be at least {MIN_KEY_BYTES} (for example: python "
                             f"-c 'import secrets; print(secrets.token_hex(32))')")
    return keys


def load_key(key_path: Path, create: bool = False) -> tuple[bytes, ...]:
    """The key chain from $CAREPATH_PSEUDONYM_KEY, else the key file; a key file is created only
    when `create` (a warehouse that holds pseudonyms already is never given a new key: see
    check_key)."""
    if os.environ.get(ENV_VAR, "").strip():
        return parse_keys(os.environ[ENV_VAR].encode(), f"${ENV_VAR}")
    if key_path.exists():
        return parse_keys(key_path.read_bytes(), str(key_path))
    if create:
        key_path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32).encode()
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        return (key,)
    raise MissingKeyError(
        f"no pseudonymisation key: set ${ENV_VAR} or create {key_path} (the demo makes one)")


def key_fingerprint(keys: Keys) -> str:
    """Names the key (or chain) without revealing it: the warehouse records it to refuse
    another. Each later key of a chain is folded in over the fingerprint before it."""
    first, *later = _chain(keys)
    fingerprint = hmac.new(first, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]
    for key in later:
        fingerprint = hmac.new(key, _FINGERPRINT_LABEL + fingerprint.encode(),
                               hashlib.sha256).hexdigest()[:16]
    return fingerprint


def recorded_fingerprint(con) -> str | None:
    """The fingerprint the warehouse (a DuckDB connection or a carepath.store store) records."""
    rows = con.execute("select fingerprint from ops.pseudonym_key").fetchall()
    return rows[0][0] if rows else None


def check_key(con, key: Keys, recorded: str | None) -> None:
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
            f"give every patient a second pseudonym. Restore the warehouse's key (${ENV_VAR} or "
            f"the key file; after a rotation, the whole chain, one key per line, oldest first); "
            f"nothing was loaded")


def pseudonymise(keys: Keys, identifier: str) -> str:
    """HMAC-SHA256 of the identifier under the first key, then of that under each later key."""
    value = identifier
    for key in _chain(keys):
        value = hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
    return value


def register(con: duckdb.DuckDBPyConnection, key: Keys, name: str = SQL_FUNCTION) -> None:
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

    con.create_function(name, _hash, ["VARCHAR"], "VARCHAR", type="arrow",
                        null_handling="special", side_effects=False)
