"""The db quarantine through real Postfix: two MX hosts (two Postfix instances, two qmilter
daemons with configs naming different hosts) share one quarantine on one real PostgreSQL
server. The other host's qmilterctl lists, releases (byte for byte what was stored) and
deletes what a host quarantined; the database stopped under a running qmilter means 451
(nothing accepted without being stored) and heals when it comes back, with no qmilter
restart. A 100 MB message is stored and released with both sides' peak memory far below
its size.
"""

import json
import os
import subprocess
import sys
import threading

import pytest

import rig
from rig.databases import scratch_postgres

SPAM = {"X-Spam-Flag": "YES"}
SENDER = "sender@example.org"


@pytest.fixture(scope="module")
def postfix_params() -> dict:
    return {"message_size_limit": str(200 * 1024 * 1024)}


@pytest.fixture(scope="module")
def database():
    with scratch_postgres("qmilter-qdb-postfix.") as server:
        yield server


@pytest.fixture(scope="module")
def second_milter_socket(rig_dir) -> str:
    sock_dir = os.path.join(rig_dir, "milter-b")
    os.makedirs(sock_dir, exist_ok=True)
    os.chmod(sock_dir, 0o755)
    return os.path.join(sock_dir, "qmilter.sock")


@pytest.fixture(scope="module")
def second_postfix(rig_dir, smtp_sink, second_milter_socket):
    """Host B: a Postfix of its own, relaying to the same smtp-sink."""
    base = os.path.join(rig_dir, "host-b")
    os.makedirs(base, exist_ok=True)
    os.chmod(base, 0o755)
    instance = rig.Postfix(base, smtp_sink.host, smtp_sink.port,
                           milters=[f"unix:{second_milter_socket}"], name="b")
    try:
        yield instance.start()
    finally:
        instance.stop()


def host_config(database, smtp_sink, host, table="spamq"):
    # The INI is read like Python's configparser: the URL's %-escapes are written %%.
    return rig.simple_config({"spam": rig.quarantine_section(
        quarantine_type="db", quarantine_db_connection=database.url.replace("%", "%%"),
        quarantine_db_table=table, quarantine_db_host=host, quarantine_db_timeout=3,
        smtp_port=smtp_sink.port)})


def qmilterctl(config_path, *args, check=True):
    result = rig.run_qmilterctl(["-c", config_path, *args])
    if check:
        assert result.returncode == 0, f"qmilterctl {' '.join(args)}: {result.stderr}"
    return result


def entries(config_path):
    return json.loads(qmilterctl(config_path, "quarantine", "spam", "list", "--json").stdout)


def send(postfix, rcpts, body="Hello.\r\n"):
    return rig.send_mail(postfix.smtpd_host, postfix.smtpd_port, SENDER, rcpts,
                         rig.make_message(SPAM, body=body, to=rcpts[0]))


def test_each_host_quarantines_and_the_other_host_lists_releases_and_deletes(
        database, postfix, second_postfix, smtp_sink, start_qmilter, qmilter_config,
        second_milter_socket):
    table = "shared"
    config_a = qmilter_config(host_config(database, smtp_sink, "mx-a.example.org", table), "host-a.conf")
    config_b = qmilter_config(host_config(database, smtp_sink, "mx-b.example.org", table), "host-b.conf")
    start_qmilter(config_a)
    start_qmilter(config_b, socket_path=second_milter_socket)

    on_a, on_b = rig.unique_address(), rig.unique_address()
    body = "Release me.\r\n.starts with a dot\r\n" + "x" * 3000 + "\r\n\u00fcml\u00e4ut\r\n"
    assert send(postfix, [on_a], body).accepted
    assert send(second_postfix, [on_b]).accepted
    listed = rig.wait_until(lambda: (lambda e: e if len(e) == 2 else None)(entries(config_b)),
                            "both hosts' entries listed by host B")
    by_rcpt = {e["recipients"][0]: e for e in listed}
    assert set(by_rcpt) == {on_a, on_b}
    hosts = database.sql(f"SELECT id, host FROM {table}_entries ORDER BY host")
    assert hosts.splitlines() == [f"{by_rcpt[on_a]['id']}\tmx-a.example.org",
                                  f"{by_rcpt[on_b]['id']}\tmx-b.example.org"], hosts
    assert smtp_sink.messages_to(on_a) == [] and smtp_sink.messages_to(on_b) == []

    # Host B releases what host A stored: byte for byte the stored message.
    id_a = by_rcpt[on_a]["id"]
    stored = rig.run_qmilterctl(["-c", config_b, "quarantine", "spam", "get", id_a])
    assert stored.returncode == 0, stored.stderr
    released = qmilterctl(config_b, "quarantine", "spam", "release", id_a, "-a")
    assert on_a in released.stdout
    msg = smtp_sink.wait_for_message(on_a)
    assert msg.recipients == [on_a] and msg.mail_from == SENDER
    # smtp-sink's dump has LF line ends; everything else is byte for byte the stored message.
    assert msg.data == stored.stdout.encode().replace(b"\r\n", b"\n")
    assert msg.body == body.encode().replace(b"\r\n", b"\n")

    # Host A deletes what host B stored; nothing is left in any table.
    qmilterctl(config_a, "quarantine", "spam", "delete", by_rcpt[on_b]["id"], "-a")
    assert entries(config_a) == [] and entries(config_b) == []
    for suffix in ("entries", "recipients", "chunks"):
        assert database.sql(f"SELECT COUNT(*) FROM {table}_{suffix}").strip() == "0", suffix


def test_database_outage_means_tempfail_and_heals_without_restarting_qmilter(
        database, postfix, smtp_sink, start_qmilter, qmilter_config):
    config = qmilter_config(host_config(database, smtp_sink, "mx-a.example.org", "outage"), "outage.conf")
    qmilter = start_qmilter(config)
    before = rig.unique_address()
    assert send(postfix, [before]).accepted
    rig.wait_until(lambda: entries(config), "the first entry")

    database.stop()
    try:
        mark = qmilter.log.mark()
        down_rcpt = rig.unique_address()
        down = send(postfix, [down_rcpt], "x" * 200000 + "\r\n")
        # TEMPFAIL: the sending MTA keeps the mail and retries; nothing was let through.
        assert down.final is not None and down.final[0] == 451, down
        assert qmilter.log.search(r"quarantine database", since=mark), qmilter.log.text(mark)
        assert "S3cr" not in qmilter.log.text(), "the database password reached the log"
        assert smtp_sink.messages_to(down_rcpt) == []
    finally:
        database.start()

    # The same qmilter process stores again once the server is back.
    after = rig.unique_address()
    result = send(postfix, [after])
    assert result.accepted, result
    assert qmilter.running()
    recipients = sorted(r for e in entries(config) for r in e["recipients"])
    assert recipients == sorted([before, after]), recipients


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


def test_a_100_mb_message_is_stored_and_released_with_flat_memory(
        database, postfix, smtp_sink, start_qmilter, qmilter_config):
    config = qmilter_config(host_config(database, smtp_sink, "mx-a.example.org", "large"), "large.conf")
    qmilter = start_qmilter(config)
    rcpt = rig.unique_address()
    line = "0123456789" * 9 + "abcdefgh\r\n"  # 100 bytes
    body = line * (100 * 1024 * 1024 // len(line))
    result = rig.send_mail(postfix.smtpd_host, postfix.smtpd_port, SENDER, [rcpt],
                           rig.make_message(SPAM, body=body, to=rcpt), timeout=300)
    assert result.accepted, result
    [entry] = rig.wait_until(lambda: entries(config), "the large entry")
    assert database.sql(f"SELECT size > 100000000, chunks FROM large_entries").split() == ["t", "101"]
    stored_peak = peak_rss_kib(qmilter.pid)

    # qmilterctl's peak, measured by a parent of its own (RUSAGE_CHILDREN of this probe
    # counts only the qmilterctl it waited for).
    probe = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
             "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    run = subprocess.run([sys.executable, "-c", probe, os.path.join(rig.build_dir(), "bin", "qmilterctl"),
                          "-c", config, "quarantine", "spam", "release", entry["id"], "-a"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    code, release_peak = run.stdout.split()[-2:]
    assert code == "0", run.stdout
    msg = smtp_sink.wait_for_message(rcpt, timeout=120)
    assert msg.body == body.encode().replace(b"\r\n", b"\n")
    assert entries(config) == []
    print(f"peak RSS: qmilter {stored_peak} KiB after storing, qmilterctl {release_peak} KiB releasing")
    # Flat: a few chunks at most, never the message (100 MiB = 102400 KiB).
    assert stored_peak < 60 * 1024, f"qmilter peaked at {stored_peak} KiB"
    assert int(release_peak) < 60 * 1024, f"qmilterctl peaked at {release_peak} KiB"


def test_qmilter_killed_mid_store_leaves_no_half_entry(
        database, postfix, smtp_sink, start_qmilter, qmilter_config):
    config = qmilter_config(host_config(database, smtp_sink, "mx-a.example.org", "killed"), "killed.conf")
    qmilter = start_qmilter(config)
    entries(config)  # the tables exist before the message comes
    rcpt = rig.unique_address()
    body = ("y" * 98 + "\r\n") * (60 * 1024 * 1024 // 100)
    outcome = {}
    sender = threading.Thread(target=lambda: outcome.setdefault("result", rig.send_mail(
        postfix.smtpd_host, postfix.smtpd_port, SENDER, [rcpt],
        rig.make_message(SPAM, body=body, to=rcpt), timeout=300)))
    sender.start()
    try:
        # The store's transaction holds a lock on the chunk table while it writes.
        writing = ("SELECT COUNT(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                   "WHERE c.relname = 'killed_chunks' AND l.mode = 'RowExclusiveLock'")
        rig.wait_until(lambda: database.sql(writing).strip() != "0", "qmilter writing chunks", 120)
        qmilter.kill()
    finally:
        sender.join(300)
    result = outcome["result"]
    assert not result.accepted, result  # the MTA keeps the mail (milter_default_action = tempfail)
    assert entries(config) == []
    # The server rolls the dead connection's transaction back: not a row of it stays.
    rig.wait_until(lambda: database.sql("SELECT COUNT(*) FROM killed_chunks").strip() == "0",
                   "the half-written chunks rolled back", 30)
    assert database.sql("SELECT COUNT(*) FROM killed_recipients").strip() == "0"


def test_database_stopped_mid_store_means_tempfail_and_nothing_half_stored(
        database, postfix, smtp_sink, start_qmilter, qmilter_config):
    config = qmilter_config(host_config(database, smtp_sink, "mx-a.example.org", "midstream"), "midstream.conf")
    qmilter = start_qmilter(config)
    entries(config)  # the tables exist before the message comes
    rcpt = rig.unique_address()
    body = ("z" * 98 + "\r\n") * (60 * 1024 * 1024 // 100)
    outcome = {}
    sender = threading.Thread(target=lambda: outcome.setdefault("result", rig.send_mail(
        postfix.smtpd_host, postfix.smtpd_port, SENDER, [rcpt],
        rig.make_message(SPAM, body=body, to=rcpt), timeout=300)))
    sender.start()
    try:
        writing = ("SELECT COUNT(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                   "WHERE c.relname = 'midstream_chunks' AND l.mode = 'RowExclusiveLock'")
        rig.wait_until(lambda: database.sql(writing).strip() != "0", "qmilter writing chunks", 120)
        database.stop()
        sender.join(300)
    finally:
        database.start()
    result = outcome["result"]
    assert result.final is not None and result.final[0] == 451, result
    assert smtp_sink.messages_to(rcpt) == []
    assert database.sql("SELECT COUNT(*) FROM midstream_chunks").strip() == "0"
    # The same qmilter stores the next message once the server is back.
    after = rig.unique_address()
    assert send(postfix, [after]).accepted
    assert [e["recipients"] for e in entries(config)] == [[after]]
    assert qmilter.running()
