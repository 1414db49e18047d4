"""`carepath rotate-key`: a new pseudonymisation key without a second pseudonym for anyone.

The warehouse never holds a patient identifier, so a rotation cannot hash identifiers again
under the new key. It re-keys what is stored instead: every pseudonym p becomes HMAC(new key, p)
in the raw tables and in the quarantined rows, in one transaction, and the warehouse records the
fingerprint of the key chain (old keys then the new one). Later loads hash each identifier
through the whole chain (pseudonym.pseudonymise), so a patient keeps one pseudonym across the
rotation. The old keys stay needed to load: a rotation does not make them harmless to lose, but
pseudonyms read or leaked after it cannot be matched with the old key alone.

Nothing derived is re-keyed in place: the dbt models are rebuilt in full and published, so every
table and the dashboard's copy carry the new pseudonyms. The key file is replaced only after the
warehouse committed; a key given in $CAREPATH_PSEUDONYM_KEY must be replaced by the operator
(the command says with what).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from carepath.contract import EXTRACTS
from carepath.ingest import pseudonym
from carepath.run_lock import run_lock
from carepath.settings import Settings
from carepath.store import warehouse_location
from carepath.warehouse import connect

REKEY_FUNCTION = "carepath_rekey"


@dataclass
class Rotation:
    old_fingerprint: str
    new_fingerprint: str
    pseudonyms_rekeyed: int  # raw rows and quarantined rows
    key_file: Path | None  # the key file written, or None when the key came from the env
    published: bool


def rotate_key(settings: Settings, new_key_file: Path) -> Rotation:
    """Re-key the warehouse under the one key in `new_key_file`, rebuild and publish."""
    [new_key] = _one_key(new_key_file)
    from_env = bool(os.environ.get(pseudonym.ENV_VAR, "").strip())
    if warehouse_location(settings).url is not None:
        raise pseudonym.KeyProblem(
            "rotating the key of a PostgreSQL warehouse is not supported yet: the re-keying runs "
            "in DuckDB; nothing was changed")
    with run_lock(settings.lock_path):
        if not settings.warehouse_path.exists():
            raise pseudonym.KeyProblem(
                f"no warehouse at {settings.warehouse_path}: there is nothing to re-key; put the "
                "new key in place before the first load instead")
        chain = pseudonym.load_key(settings.secret_key_path)
        if new_key in chain:
            raise pseudonym.KeyProblem("the new key is already in the key chain: give a key "
                                       "never used before")
        new_chain = (*chain, new_key)
        staged = None if from_env else _stage_key_file(settings.secret_key_path, new_chain)
        try:
            with connect(settings.warehouse_path) as con:
                recorded = pseudonym.recorded_fingerprint(con)
                if recorded is None:
                    raise pseudonym.KeyProblem("the warehouse holds no pseudonyms yet: nothing to "
                                               "re-key")
                pseudonym.check_key(con, chain, recorded)
                rekeyed = _rekey(con, new_key, pseudonym.key_fingerprint(new_chain))
        except BaseException:
            if staged is not None:
                staged.unlink(missing_ok=True)
            raise
        if staged is not None:
            os.replace(staged, settings.secret_key_path)
        published = _rebuild_and_publish(settings)
    return Rotation(recorded, pseudonym.key_fingerprint(new_chain), rekeyed,
                    None if from_env else settings.secret_key_path, published)


def _one_key(path: Path) -> tuple[bytes]:
    try:
        keys = pseudonym.parse_keys(path.read_bytes(), str(path))
    except OSError as exc:
        raise pseudonym.KeyProblem(f"cannot read the new key: {exc}") from exc
    if len(keys) != 1:
        raise pseudonym.KeyProblem(f"{path} must hold exactly one new key, not {len(keys)}")
    return keys


def _stage_key_file(key_path: Path, chain: tuple[bytes, ...]) -> Path:
    """The new chain written beside the key file (owner-only), to replace it after the commit."""
    staged = key_path.with_name(key_path.name + ".rotating")
    staged.unlink(missing_ok=True)
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(b"\n".join(chain) + b"\n")
    return staged


def _rekey(con, new_key: bytes, new_fingerprint: str) -> int:
    """Every stored pseudonym re-keyed and the new fingerprint recorded, in one transaction."""
    pseudonym.register(con, new_key, name=REKEY_FUNCTION)
    rekeyed = 0
    con.execute("begin transaction")
    try:
        for extract in EXTRACTS:
            rekeyed += con.execute(
                f"update raw.{extract} set patient_key = {REKEY_FUNCTION}(patient_key) "
                "where patient_key is not null").fetchone()[0]
        rekeyed += con.execute(
            f"""update ops.quarantine
                set row_json = json_merge_patch(row_json, json_object(
                    'patient_key',
                    {REKEY_FUNCTION}(json_extract_string(row_json, '$.patient_key'))))
                where json_extract_string(row_json, '$.patient_key') is not null""").fetchone()[0]
        con.execute("update ops.pseudonym_key set fingerprint = ?, recorded_at = current_timestamp",
                    [new_fingerprint])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.remove_function(REKEY_FUNCTION)
    return rekeyed


def _rebuild_and_publish(settings: Settings) -> bool:
    """Every model rebuilt from the re-keyed raw tables (incremental ones would keep the old
    pseudonyms), then published. dbt never sees the key, so this needs none."""
    from carepath.pipeline import _build, publish_step

    report = _build(settings, force=True)
    if not report.success:
        return False
    publish_step(settings, {"reason": "pseudonymisation key rotated"})
    return True
