"""qmilterctl against a FILE quarantine holding entries written the way pyquarantine-milter
wrote them (json.dump(indent=2), data file with LF headers and CRLF body): listing
(TSV off a terminal, aligned table on one, -b, --json, filters), get, metadata, delete,
purge, notify with `none`, the non-greedy -c, refused ids and exit codes. No MTA needed:
the release path is in test_file_quarantine.py.
"""

import json
import os
import pty
import subprocess
import time
import uuid

import pytest

import rig

NOW = int(time.time())


def qmilterctl(*args, cwd=None):
    binary = os.path.join(rig.build_dir(), "bin", "qmilterctl")
    return subprocess.run([binary, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=60, cwd=cwd)


def python_entry(directory, qid, mailfrom, recipients, date, subject="spam", body=b"Body\r\n"):
    """An entry as pyquarantine's FileQuarantine.add() left it."""
    with open(os.path.join(directory, qid), "wb") as f:
        f.write(f"From: {mailfrom}\nSubject: {subject}\nX-Spam-Flag: YES\n\n".encode() + body)
    metadata = {"mailfrom": mailfrom, "recipients": recipients,
                "headers": {"from": mailfrom, "subject": subject, "x-spam-flag": "YES"},
                "date": date, "queue_id": qid.split("_", 1)[1], "subgroups": ["YES"],
                "named_subgroups": {}}
    with open(os.path.join(directory, qid + ".metadata"), "w") as f:
        json.dump(metadata, f, indent=2)


@pytest.fixture
def setup(rig_dir):
    """A config with one FILE quarantine `spam` holding three entries; returns
    (config path, quarantine directory, ids)."""
    base = os.path.join(rig_dir, f"cli-{uuid.uuid4().hex[:8]}")
    directory = os.path.join(base, "quarantine")
    os.makedirs(directory)
    ids = ["20200101120000_OLD1", "20261124100000_NEW1", "20261124110000_NEW2"]
    python_entry(directory, ids[0], "old@example.org", ["a@example.com"], NOW - 40 * 86400)
    python_entry(directory, ids[1], "s1@example.org", ["a@example.com", "b@example.com"], NOW - 60,
                 subject="Gr\u00fc\u00dfe", body=b"line\r\n.dot\r\n")
    python_entry(directory, ids[2], "s2@example.org", ["c@example.com"], NOW)
    config = rig.write_config(os.path.join(base, "qmilter.conf"), rig.simple_config({
        "spam": rig.quarantine_section(quarantine_type="file", quarantine_directory="quarantine"),
        "virus": rig.quarantine_section(regex="^X-Virus: yes", action="reject")}))
    return config, directory, ids


def ok(proc):
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout.decode()


def test_config_option_is_not_greedy(setup, rig_dir):
    config, _, _ = setup
    assert ok(qmilterctl("-c", config, "list", "-b")).split() == ["spam", "virus"]
    assert ok(qmilterctl(f"--config={config}", "list", "-b")).split() == ["spam", "virus"]
    assert ok(qmilterctl("--config", config, "list", "-b")).split() == ["spam", "virus"]
    # a later file overrides keys of an earlier one
    override = os.path.join(os.path.dirname(config), "override.conf")
    with open(override, "w") as f:
        f.write("[virus]\naction = discard\n")
    listed = json.loads(ok(qmilterctl("-c", config, "-c", override, "list", "--json")))
    assert [q["action"] for q in listed] == ["discard", "discard"]
    # without -c: ./qmilter.conf
    assert ok(qmilterctl("list", "-b", cwd=os.path.dirname(config))).split() == ["spam", "virus"]


def test_list_quarantines_as_tsv_json_and_names(setup):
    config, _, _ = setup
    lines = ok(qmilterctl("-c", config, "list")).splitlines()
    assert lines == ["Name\tQuarantine\tNotification\tWhitelist\tAction",
                     "spam\tfile\tnone\tnone\tdiscard", "virus\tnone\tnone\tnone\treject"]
    listed = json.loads(ok(qmilterctl("-c", config, "list", "--json")))
    assert listed[0] == {"name": "spam", "quarantine_type": "file", "notification_type": "none",
                         "whitelist_type": "none", "action": "discard",
                         "smtp_host": "127.0.0.1", "smtp_port": 25}


def test_list_entries_with_filters(setup):
    config, _, ids = setup
    q = ["-c", config, "quarantine", "spam", "list"]
    assert ok(qmilterctl(*q, "-b")).split() == ids
    assert ok(qmilterctl(*q, "-b", "-t", "A@Example.com")).split() == ids[:2]
    assert ok(qmilterctl(*q, "-b", "-t", "b@example.com", "-t", "c@example.com")).split() == ids[1:]
    assert ok(qmilterctl(*q, "-b", "-f", "s2@example.org")).split() == [ids[2]]
    assert ok(qmilterctl(*q, "-b", "-o", "30")).split() == [ids[0]]
    assert ok(qmilterctl(*q, "-b", "-t", "nobody@example.com")).split() == []
    rows = ok(qmilterctl(*q)).splitlines()
    assert rows[0] == "Quarantine-ID\tDate\tFrom\tRecipient(s)\tSubject"
    assert rows[2].split("\t") == [ids[1], time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(NOW - 60)),
                                   "s1@example.org", "a@example.com, b@example.com", "Gr\u00fc\u00dfe"]
    listed = json.loads(ok(qmilterctl(*q, "--json", "-t", "c@example.com")))
    assert listed == [{"id": ids[2], "mailfrom": "s2@example.org", "recipients": ["c@example.com"],
                       "headers": {"from": "s2@example.org", "subject": "spam", "x-spam-flag": "YES"},
                       "date": NOW, "queue_id": "NEW2", "subgroups": ["YES"], "named_subgroups": {}}]


def test_terminal_output_is_an_aligned_table(setup):
    config, _, ids = setup
    binary = os.path.join(rig.build_dir(), "bin", "qmilterctl")
    leader, follower = pty.openpty()
    proc = subprocess.Popen([binary, "-c", config, "quarantine", "spam", "list"], stdout=follower,
                            stderr=subprocess.PIPE)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    assert proc.wait(30) == 0
    lines = out.decode().replace("\r\n", "\n").splitlines()
    assert lines[0].startswith("Quarantine-ID  ") and "\t" not in lines[0]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert [line.split()[0] for line in lines[2:]] == ids
    assert lines[0].index("Date") == lines[2].index(time.strftime("%Y", time.localtime(NOW - 40 * 86400)))


def test_get_and_metadata(setup):
    config, directory, ids = setup
    q = ["-c", config, "quarantine", "spam"]
    got = qmilterctl(*q, "get", ids[1])
    assert got.returncode == 0
    with open(os.path.join(directory, ids[1]), "rb") as f:
        assert got.stdout == f.read()
    meta = json.loads(ok(qmilterctl(*q, "metadata", ids[1])))
    assert meta["recipients"] == ["a@example.com", "b@example.com"]
    assert meta["headers"]["subject"] == "Gr\u00fc\u00dfe"
    assert meta["date"] == NOW - 60


def test_delete_for_one_recipient_then_all(setup):
    config, directory, ids = setup
    q = ["-c", config, "quarantine", "spam"]
    ok(qmilterctl(*q, "delete", ids[1], "-t", "a@example.com"))
    with open(os.path.join(directory, ids[1] + ".metadata")) as f:
        meta = json.load(f)
    assert meta["recipients"] == ["b@example.com"]
    assert list(meta) == ["mailfrom", "recipients", "headers", "date", "queue_id", "subgroups",
                          "named_subgroups"]
    ok(qmilterctl(*q, "delete", ids[1], "-t", "b@example.com"))
    assert not os.path.exists(os.path.join(directory, ids[1]))
    ok(qmilterctl(*q, "delete", ids[2], "-a"))
    assert sorted(os.listdir(directory)) == [ids[0], ids[0] + ".metadata"]


def test_delete_of_a_recipient_not_in_the_entry_is_refused(setup):
    config, directory, ids = setup
    proc = qmilterctl("-c", config, "quarantine", "spam", "delete", ids[2], "-t", "a@example.com")
    assert proc.returncode == 1
    assert b"not a recipient" in proc.stderr
    assert os.path.exists(os.path.join(directory, ids[2] + ".metadata"))


def test_purge_removes_only_old_entries(setup):
    config, directory, ids = setup
    out = ok(qmilterctl("-c", config, "quarantine", "spam", "purge", "--older-than", "30"))
    assert "purged 1 entry" in out
    assert sorted(n for n in os.listdir(directory) if n.endswith(".metadata")) == \
        [ids[1] + ".metadata", ids[2] + ".metadata"]


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/b", "", "x.metadata", "..",
                                 "../quarantine/20261124110000_NEW2"])
def test_ids_that_are_not_plain_entry_names_are_refused(setup, bad):
    config, directory, _ = setup
    # something an escaping id could reach
    with open(os.path.join(os.path.dirname(directory), "x"), "w") as f:
        f.write("secret")
    with open(os.path.join(os.path.dirname(directory), "x.metadata"), "w") as f:
        json.dump({"mailfrom": "", "recipients": ["a@example.com"], "date": 0}, f)
    before = sorted(os.listdir(directory))
    q = ["-c", config, "quarantine", "spam"]
    for command in (["get", bad], ["metadata", bad], ["delete", bad, "-a"],
                    ["release", bad, "-a"], ["notify", bad, "-a"]):
        proc = qmilterctl(*q, *command)
        assert proc.returncode == 1, (command, proc.stdout)
        assert b"invalid quarantine id" in proc.stderr, (command, proc.stderr)
        assert b"secret" not in proc.stdout
    assert sorted(os.listdir(directory)) == before


def test_unknown_id_is_refused(setup):
    config, _, _ = setup
    for command in (["get", "20200101000000_NOPE"], ["delete", "20200101000000_NOPE", "-a"],
                    ["release", "20200101000000_NOPE", "-a"]):
        proc = qmilterctl("-c", config, "quarantine", "spam", *command)
        assert proc.returncode == 1
        assert b"unknown quarantine id '20200101000000_NOPE'" in proc.stderr


def test_notify_with_none_says_so(setup):
    config, _, ids = setup
    proc = qmilterctl("-c", config, "quarantine", "spam", "notify", ids[2], "-a")
    assert proc.returncode == 1
    assert b"notification_type = none" in proc.stderr


def test_exit_codes(setup):
    config, _, ids = setup
    q = ["-c", config, "quarantine"]
    assert qmilterctl(*q, "spam", "delete", ids[2]).returncode == 2            # neither -t nor -a
    assert qmilterctl(*q, "spam", "delete", ids[2], "-a", "-t", "c@example.com").returncode == 2
    assert qmilterctl(*q, "spam").returncode == 2                              # no command
    assert qmilterctl("-c", config, "bogus").returncode == 2
    proc = qmilterctl(*q, "nope", "list")
    assert proc.returncode == 1 and b"configured: spam, virus" in proc.stderr
    proc = qmilterctl("-c", "/nonexistent/qmilter.conf", "list")
    assert proc.returncode == 3 and b"/nonexistent/qmilter.conf" in proc.stderr
    proc = qmilterctl(*q, "virus", "list")
    assert proc.returncode == 1 and b"keeps no messages" in proc.stderr


@pytest.mark.parametrize("days", ["200000000000000", "99999999999999999999", "36501", "-5", "1.5"])
def test_days_outside_the_range_are_refused_and_purge_nothing(setup, days):
    # DAYS * 86400 must never overflow into "older than anything": such a purge deleted
    # entries minutes old.
    config, directory, ids = setup
    q = ["-c", config, "quarantine", "spam"]
    for command in (["purge", "-o", days], ["list", "-b", "-o", days]):
        proc = qmilterctl(*q, *command)
        assert proc.returncode == 2, (command, proc.stdout, proc.stderr)
        error = proc.stderr.decode()
        assert f"'{days}' is not a number of days from 0 to 36500" in error, error
        assert len(error) < 200, error  # no DBL_MAX written out in 309 digits
        assert proc.stdout == b""
    assert sorted(n[:-len(".metadata")] for n in os.listdir(directory)
                  if n.endswith(".metadata")) == ids


def test_the_largest_days_purge_nothing_recent(setup):
    config, directory, ids = setup
    out = ok(qmilterctl("-c", config, "quarantine", "spam", "purge", "-o", "36500"))
    assert "purged 0 entries" in out
    assert ok(qmilterctl("-c", config, "quarantine", "spam", "list", "-b", "-o", "36500")) == ""
    assert len([n for n in os.listdir(directory) if n.endswith(".metadata")]) == len(ids)


@pytest.mark.parametrize("words,unknown,known", [
    (["frobnicate"], "unknown command 'frobnicate'", "list, quarantine, whitelist, web, digest"),
    (["quarantine", "spam", "frobnicate"], "unknown quarantine command 'frobnicate'",
     "list, notify, release, delete, get, metadata, purge, link, import"),
])
def test_an_unknown_command_is_named(setup, words, unknown, known):
    config, _, _ = setup
    proc = qmilterctl("-c", config, *words)
    assert proc.returncode == 2
    assert f"qmilterctl: {unknown} (commands: {known})" in proc.stderr.decode(), proc.stderr
