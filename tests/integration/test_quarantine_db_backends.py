"""The db quarantine's test program (tests/unit/quarantine_db: the SDK's store conformance
suite and the store's own tests, run by ctest against SQLite) run again against real
PostgreSQL and MariaDB servers started here on loopback: the same suite on all three
backends. QMILTER_TEST_QUARANTINE_DB hands the program the server's URL (with a password
full of URL and ODBC metacharacters)."""

import os
import re
import shutil
import subprocess
import tempfile

import pytest

import rig
from rig.databases import SERVERS


def program_path() -> str:
    path = os.path.join(rig.build_dir(), "tests", "quarantine_db_test")
    if not os.access(path, os.X_OK):
        pytest.fail(f"quarantine_db_test not built: {path} (set QMILTER_BUILD_DIR)")
    return path


@pytest.fixture(scope="module", params=sorted(SERVERS))
def database(request):
    base = tempfile.mkdtemp(prefix="qmilter-qdb.", dir="/tmp")
    server = SERVERS[request.param](base)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def run_program(database, *args):
    return subprocess.run([program_path(), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace", timeout=600,
                          env=dict(os.environ, QMILTER_TEST_QUARANTINE_DB=database.url))


def test_conformance_suite_passes_against_the_server(database):
    result = run_program(database, "--gtest_filter=DbStore/QuarantineStoreConformance*")
    assert result.returncode == 0, f"{database.title}:\n{result.stdout}\n{database.log.tail()}"
    # Every test of the suite ran and passed: none skipped for want of backdate() or a server.
    ran = result.stdout.count("[ RUN      ]")
    assert ran >= 12 and re.search(rf"\[  PASSED  \] {ran} tests\.", result.stdout), result.stdout
    assert "SKIPPED" not in result.stdout, result.stdout


def test_store_tests_pass_against_the_server(database):
    result = run_program(database, "--gtest_filter=DbStore.*", "--gtest_brief=1")
    assert result.returncode == 0, f"{database.title}:\n{result.stdout}\n{database.log.tail()}"


def test_tables_are_the_documented_ones_in_the_servers_types(database):
    """A store's first use on an empty database creates the four tables with the
    documented columns: the message in binary chunks, dates as Unix time."""
    result = subprocess.run([program_path(), "--gtest_filter=DbStore.CreatesItsFourTablesWhenMissing"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace", timeout=120,
                            env=dict(os.environ, QMILTER_TEST_QUARANTINE_DB=database.url,
                                     QMILTER_TEST_KEEP_TABLES="1"))
    assert result.returncode == 0, result.stdout
    schema = "qmilter" if database.scheme == "mysql" else "public"
    rows = database.sql(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
        f"WHERE table_name LIKE 'qt%' AND table_schema = '{schema}' ORDER BY table_name, ordinal_position")
    columns = {}
    for line in rows.strip().splitlines():
        table, column, data_type, nullable = line.split("\t")
        assert nullable == "NO", line
        columns.setdefault(table.rsplit("_", 1)[1], []).append((column, data_type.lower()))
    names = {table: [c for c, _ in cols] for table, cols in columns.items()}
    assert names == {
        "entries": ["id", "host", "queue_id", "mailfrom", "date", "headers", "subgroups",
                    "named_subgroups", "size", "chunks"],
        "recipients": ["entry_id", "position", "recipient", "claim", "claimed_at"],
        "chunks": ["entry_id", "seq", "data"],
        "notes": ["note_key", "version", "value"],
    }, names
    types = {f"{table}.{c}": t for table, cols in columns.items() for c, t in cols}
    assert types["chunks.data"] == ("bytea" if database.scheme == "postgresql" else "longblob"), types
    assert types["entries.date"] == "bigint", types
    assert types["notes.version"] == "bigint", types
