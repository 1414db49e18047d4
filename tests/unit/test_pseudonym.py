"""The SQL pseudonym is HMAC-SHA256 under the key, for any key length and any identifier."""

import hashlib
import hmac

import duckdb
import pytest

from carepath.ingest import pseudonym

IDENTIFIERS = ["CAR3126081", "", " ", "Zoë-ØÅ 名前", "x" * 500, "a'b\"c\\d"]


@pytest.mark.parametrize("key_length", [1, 32, 63, 64, 65, 200])
def test_sql_pseudonym_is_hmac_sha256(key_length):
    key = bytes((7 * i + 3) % 256 for i in range(key_length))
    con = duckdb.connect()
    pseudonym.register(con, key)
    for identifier in IDENTIFIERS:
        got = con.execute(f"select {pseudonym.SQL_FUNCTION}(?)", [identifier]).fetchone()[0]
        assert got == hmac.new(key, identifier.encode(), hashlib.sha256).hexdigest()
        assert got == pseudonym.pseudonymise(key, identifier)


def test_null_stays_null_and_the_key_stays_out_of_the_database_file(tmp_path):
    key = b"a-key-that-must-not-be-stored-" * 2
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    pseudonym.register(con, key)
    con.execute(f"create table t as select {pseudonym.SQL_FUNCTION}(v) as p "
                "from (values ('a'), ('a'), (NULL)) as x(v)")
    assert con.execute("select count(*) filter (where p is null), count(distinct p) "
                       "from t").fetchone() == (1, 1)
    con.close()
    assert key not in path.read_bytes()
