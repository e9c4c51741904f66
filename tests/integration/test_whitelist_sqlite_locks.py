"""A SQLite whitelist locked by another process, through Postfix -> qmilter -> smtp-sink.

The test itself holds the lock with Python's sqlite3 module, as another program sharing the
file would, while eight messages that need a lookup arrive at once. Every one of them must
be answered within `whitelist_db_timeout` (plus the rig's own latency): with TEMPFAIL (451)
when the file cannot be read, and normally when it can - a writer holding the write lock of
a WAL file must not hold up lookups, only their `last_used` updates. Both forms of the
connection string: the `sqlite:///` URL (which switches the file to WAL) and a raw
`Driver=SQLite3;Database=...` string (which keeps the file's journal mode).
"""

import json
import os
import sqlite3
import threading
import time

import pytest

import rig

SPAM = {"X-Spam-Flag": "YES"}
SENDER = "friend@partner.example"
TIMEOUT = 3          # whitelist_db_timeout of these tests, seconds
SLACK = 2.0          # Postfix, the SMTP exchange and a busy test machine on top of it
CONCURRENT = 8


def qmilterctl(config_path, *args):
    result = rig.run_qmilterctl(["-c", config_path, *args])
    assert result.returncode == 0, f"qmilterctl {' '.join(args)}: {result.stderr}"
    return result.stdout


def connection_string(form, path):
    return "sqlite:///" + path if form == "url" else f"Driver=SQLite3;Database={path};"


@pytest.fixture
def whitelist(rig_dir, request, qmilter_config):
    """(config path, db path, recipients with an entry each) for the test's form."""
    form = request.param
    path = os.path.join(rig_dir, f"locks-{request.node.name.replace('[', '-').strip(']')}.db")
    config = qmilter_config(rig.simple_config({"spam": rig.quarantine_section(
        r"^X-Spam-Flag: YES", "discard", whitelist_type="db",
        whitelist_db_connection=connection_string(form, path), whitelist_db_table="whitelist",
        whitelist_db_timeout=TIMEOUT)}), f"locks-{form}.conf")
    # One entry per recipient: each message's lookup matches its own entry, so each also
    # wants to write that entry's last_used.
    recipients = [rig.unique_address() for _ in range(CONCURRENT)]
    for rcpt in recipients:
        qmilterctl(config, "whitelist", "spam", "add", "-f", SENDER, "-t", rcpt)
    return form, config, path, recipients


def journal_mode(path):
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA journal_mode").fetchone()[0].lower()


def send_at_once(smtp, recipients):
    """One spam message per recipient, all at the same moment; [(result, seconds)]."""
    results = [None] * len(recipients)
    start = threading.Barrier(len(recipients))

    def send(i):
        start.wait()
        began = time.monotonic()
        result = smtp(SENDER, [recipients[i]], rig.make_message(SPAM, to=recipients[i]))
        results[i] = (result, time.monotonic() - began)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(recipients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def held_lock(path, statements):
    """Another process's connection (here: this one's) holding a lock on the file."""
    db = sqlite3.connect(path, isolation_level=None, timeout=0, check_same_thread=False)
    for statement in statements:
        db.execute(statement)
    return db


@pytest.mark.parametrize("whitelist", ["raw", "url"], indirect=True)
def test_a_file_locked_against_readers_answers_every_lookup_with_tempfail_within_the_timeout(
        postfix, smtp_sink, start_qmilter, smtp, whitelist):
    """BEGIN EXCLUSIVE on a file in rollback-journal mode keeps every reader out. Held from
    before qmilter starts, so even the URL's switch to WAL cannot happen and every lookup
    takes the slowest path: a new connection and a statement prepared on it."""
    form, config, path, recipients = whitelist
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode = DELETE")
    holder = held_lock(path, ["BEGIN EXCLUSIVE"])
    try:
        qmilter = start_qmilter(config)
        mark = qmilter.log.mark()
        answers = send_at_once(smtp, recipients)
    finally:
        holder.rollback()
        holder.close()
    codes = [result.final[0] if result.final else None for result, _ in answers]
    seconds = [round(took, 1) for _, took in answers]
    assert codes == [451] * CONCURRENT, (codes, seconds)
    assert max(seconds) <= TIMEOUT + SLACK, seconds
    assert qmilter.log.search(r"whitelist.*locked", since=mark), qmilter.log.text(mark)

    # The lock gone, the same qmilter answers again.
    again = smtp(SENDER, [recipients[0]], rig.make_message(SPAM, to=recipients[0]))
    assert again.accepted, again
    assert smtp_sink.wait_for_message(recipients[0]).recipients == [recipients[0]]


@pytest.mark.parametrize("whitelist", ["raw", "url"], indirect=True)
def test_in_wal_mode_a_writer_holding_the_write_lock_does_not_hold_up_lookups(
        postfix, smtp_sink, start_qmilter, smtp, whitelist):
    form, config, path, recipients = whitelist
    if form == "raw":
        with sqlite3.connect(path) as db:  # WAL is a property of the file
            db.execute("PRAGMA journal_mode = WAL")
    assert journal_mode(path) == "wal"
    qmilter = start_qmilter(config)
    warm_rcpt = rig.unique_address()
    warm = smtp(SENDER, [warm_rcpt], rig.make_message(to=warm_rcpt))  # no lookup: clean mail
    assert warm.accepted, warm

    # BEGIN EXCLUSIVE is the same as BEGIN IMMEDIATE in WAL mode: the write lock, no more.
    holder = held_lock(path, ["BEGIN EXCLUSIVE", "UPDATE whitelist SET comment = 'writing'"])
    try:
        mark = qmilter.log.mark()
        answers = send_at_once(smtp, recipients)
        codes = [result.final[0] if result.final else None for result, _ in answers]
        seconds = [round(took, 1) for _, took in answers]
        assert codes == [250] * CONCURRENT, (codes, seconds)
        # Not waited for the writer: well under the timeout the writer could have cost.
        assert max(seconds) < TIMEOUT / 2 + 0.5, seconds
        for rcpt in recipients:
            assert smtp_sink.wait_for_message(rcpt).recipients == [rcpt]
        assert qmilter.log.search(r"last_used", since=mark), qmilter.log.text(mark)
    finally:
        holder.rollback()
        holder.close()

    # The skipped last_used updates are made by the next message using each entry.
    before = {e["recipient"]: e["last_used"] for e in
              json.loads(qmilterctl(config, "whitelist", "spam", "list", "--json"))}
    retry = smtp(SENDER, [recipients[0]], rig.make_message(SPAM, to=recipients[0]))
    assert retry.accepted, retry
    after = {e["recipient"]: e["last_used"] for e in
             json.loads(qmilterctl(config, "whitelist", "spam", "list", "--json"))}
    assert after[recipients[0]] > before[recipients[0]], (before, after)
