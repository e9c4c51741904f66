"""The DB whitelist's test program (tests/unit/whitelist_db, run by ctest against SQLite)
run again against real PostgreSQL and MariaDB servers started here on loopback: the same
suite on all three backends. QMILTER_TEST_WHITELIST_DB hands the program the server's URL
(with a password full of URL and ODBC metacharacters)."""

import os
import shutil
import subprocess
import tempfile

import pytest

import rig
from rig.databases import SERVERS


def program_path() -> str:
    path = os.path.join(rig.build_dir(), "tests", "whitelist_db_test")
    if not os.access(path, os.X_OK):
        pytest.fail(f"whitelist_db_test not built: {path} (set QMILTER_BUILD_DIR)")
    return path


@pytest.fixture(scope="module", params=sorted(SERVERS))
def database(request):
    base = tempfile.mkdtemp(prefix="qmilter-db.", dir="/tmp")
    server = SERVERS[request.param](base)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_same_suite_passes_against_the_server(database):
    result = subprocess.run([program_path(), "--gtest_brief=1"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace", timeout=300,
                            env=dict(os.environ, QMILTER_TEST_WHITELIST_DB=database.url))
    assert result.returncode == 0, f"{database.title}:\n{result.stdout}\n{database.log.tail()}"


def test_new_table_gets_the_compatible_columns(database):
    """After the suite's lookups, a table created by the plugin has pyquarantine's
    columns (id, mailfrom, recipient, created, last_used, comment, permanent) in the server's
    own types, and the unique index on (mailfrom, recipient)."""
    result = subprocess.run([program_path(), "--gtest_filter=*CreatesTheTableWhenMissing*"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace", timeout=120,
                            env=dict(os.environ, QMILTER_TEST_WHITELIST_DB=database.url,
                                     QMILTER_TEST_KEEP_TABLE="1"))
    assert result.returncode == 0, result.stdout
    table = "wl_createsthetablewhenmissingandwhitelistsnobody"
    columns = database.sql(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        f"WHERE table_name = '{table}' ORDER BY ordinal_position")
    rows = [line.split("\t") for line in columns.strip().splitlines()]
    names = [r[0] for r in rows]
    assert names == ["id", "mailfrom", "recipient", "created", "last_used", "comment", "permanent"]
    assert all(r[2] == "NO" for r in rows), rows
    types = {r[0]: r[1].lower() for r in rows}
    if database.scheme == "postgresql":
        assert types["created"].startswith("timestamp") and types["permanent"] == "boolean", types
    else:
        assert types["created"] == "datetime" and types["permanent"] == "tinyint", types
    indexes = database.sql(
        "SELECT indexname FROM pg_indexes WHERE tablename = '" + table + "'"
        if database.scheme == "postgresql" else
        "SELECT index_name FROM information_schema.statistics WHERE table_name = '" + table + "'")
    assert "whitelistmodel_spam_mailfrom_recipient" in indexes
