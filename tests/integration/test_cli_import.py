"""`qmilterctl quarantine NAME import --from DIR`: a quarantine directory written the Python
way (pyquarantine's data file, the metadata as json.dump(indent=2)) is copied into a db
quarantine (here on SQLite), listed and released from the database; a second run imports
nothing twice, and the directory is left as it was."""

import hashlib
import json
import os
import subprocess
import time
import uuid

import pytest

import rig

NOW = int(time.time())


def python_entry(directory, qid, mailfrom, recipients, date, subject="spam", body=b"Body\r\n"):
    """An entry as pyquarantine's FileQuarantine.add() left it."""
    with open(os.path.join(directory, qid), "wb") as f:
        f.write(f"From: {mailfrom}\nSubject: {subject}\nX-Spam-Flag: YES\n\n".encode() + body)
    metadata = {"mailfrom": mailfrom, "recipients": recipients,
                "headers": {"from": mailfrom, "subject": subject, "x-spam-flag": "YES"},
                "date": date, "queue_id": qid.split("_", 1)[1], "subgroups": ["YES"],
                "named_subgroups": {"flag": "YES"}}
    with open(os.path.join(directory, qid + ".metadata"), "w") as f:
        json.dump(metadata, f, indent=2)


def digest(directory):
    h = hashlib.sha256()
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), "rb") as f:
            h.update(name.encode() + b"\0" + f.read())
    return h.hexdigest()


def ctl(config, *args, check=True):
    result = rig.run_qmilterctl(["-c", config, *args])
    if check:
        assert result.returncode == 0, f"qmilterctl {' '.join(args)}: {result.stderr}"
    return result


@pytest.fixture
def setup(rig_dir, smtp_sink):
    base = os.path.join(rig_dir, f"import-{uuid.uuid4().hex[:8]}")
    source = os.path.join(base, "pyquarantine")
    os.makedirs(source)
    python_entry(source, "20200101120000_OLD1", "old@example.org", ["a@example.com"], NOW - 40 * 86400)
    python_entry(source, "20261124100000_NEW1", "s1@example.org", ["a@example.com", "b@example.com"],
                 NOW - 60, subject="Gr\u00fc\u00dfe", body=b"line\r\n.dot\r\n" + b"z" * 5000 + b"\r\n")
    python_entry(source, "20261124110000_NEW2", "s2@example.org", ["c@example.com"], NOW)
    config = rig.write_config(os.path.join(base, "qmilter.conf"), rig.simple_config({
        "spam": rig.quarantine_section(
            quarantine_type="db", quarantine_db_connection="sqlite:///" + os.path.join(base, "q.db"),
            quarantine_db_table="spam", smtp_port=smtp_sink.port)}))
    return config, source


def test_import_copies_every_entry_and_a_second_run_imports_nothing(setup):
    config, source = setup
    before = digest(source)
    first = ctl(config, "quarantine", "spam", "import", "--from", source)
    assert "imported 3 entries" in first.stdout and "(0 already there)" in first.stdout, first.stdout

    entries = json.loads(ctl(config, "quarantine", "spam", "list", "--json").stdout)
    by_queue_id = {e["queue_id"]: e for e in entries}
    assert sorted(by_queue_id) == ["NEW1", "NEW2", "OLD1"]
    new1 = by_queue_id["NEW1"]
    assert new1["mailfrom"] == "s1@example.org"
    assert new1["recipients"] == ["a@example.com", "b@example.com"]
    assert new1["date"] == NOW - 60
    assert new1["headers"]["subject"] == "Gr\u00fc\u00dfe"
    assert new1["subgroups"] == ["YES"] and new1["named_subgroups"] == {"flag": "YES"}
    # The date the entry had, so age filters and purge keep working on imported entries.
    old = ctl(config, "quarantine", "spam", "list", "-o", "30", "-b").stdout.split()
    assert old == [by_queue_id["OLD1"]["id"]]
    # The message is the data file byte for byte.
    got = subprocess.run([os.path.join(rig.build_dir(), "bin", "qmilterctl"), "-c", config,
                          "quarantine", "spam", "get", new1["id"]], stdout=subprocess.PIPE, timeout=60)
    with open(os.path.join(source, "20261124100000_NEW1"), "rb") as f:
        assert got.stdout == f.read()

    second = ctl(config, "quarantine", "spam", "import", "--from", source)
    assert "imported 0 entries" in second.stdout and "(3 already there)" in second.stdout, second.stdout
    assert len(json.loads(ctl(config, "quarantine", "spam", "list", "--json").stdout)) == 3
    assert digest(source) == before, "import changed the source directory"


def test_an_imported_entry_is_released_from_the_database(setup, smtp_sink):
    config, source = setup
    ctl(config, "quarantine", "spam", "import", "--from", source)
    entry = next(e for e in json.loads(ctl(config, "quarantine", "spam", "list", "--json").stdout)
                 if e["queue_id"] == "NEW1")
    ctl(config, "quarantine", "spam", "release", entry["id"], "-t", "b@example.com")
    msg = smtp_sink.wait_for_message("b@example.com")
    assert msg.mail_from == "s1@example.org"
    with open(os.path.join(source, "20261124100000_NEW1"), "rb") as f:
        assert msg.data == f.read().replace(b"\r\n", b"\n")
    left = json.loads(ctl(config, "quarantine", "spam", "metadata", entry["id"]).stdout)
    assert left["recipients"] == ["a@example.com"]
    # Released mail is not imported again: the entry is still there, so it counts as imported.
    again = ctl(config, "quarantine", "spam", "import", "--from", source)
    assert "imported 0 entries" in again.stdout, again.stdout


def test_a_missing_directory_is_named(setup):
    config, source = setup
    result = ctl(config, "quarantine", "spam", "import", "--from", source + "-missing", check=False)
    assert result.returncode == 1
    assert f"--from '{source}-missing' is not a directory" in result.stderr, result.stderr
