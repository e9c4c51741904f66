"""The DB whitelist through Postfix -> qmilter -> smtp-sink.

Entries are added with the real qmilterctl on the same configuration. SQLite serves the
routing tests; the outage test stops a real PostgreSQL / MariaDB server (rig.databases)
under a running qmilter, then starts it again on the same port and data.
"""

import json
import os
import shutil
import tempfile
import threading

import pytest

import rig
from rig.databases import SERVERS

SPAM = {"X-Spam-Flag": "YES"}
VIRUS = {"X-Virus": "Eicar-Test-Signature"}
SENDER = "friend@partner.example"


def qmilterctl(config_path, *args):
    result = rig.run_qmilterctl(["-c", config_path, *args])
    assert result.returncode == 0, f"qmilterctl {' '.join(args)}: {result.stderr}"
    return result.stdout


def spam_with_db(connection, table, action="discard", **extra):
    return rig.quarantine_section(r"^X-Spam-Flag: YES", action, whitelist_type="db",
                                  whitelist_db_connection=connection, whitelist_db_table=table,
                                  **extra)


@pytest.fixture
def sqlite_url(rig_dir, request):
    path = os.path.join(rig_dir, f"whitelist-{request.node.name.split('[')[0]}.db")
    return "sqlite:///" + path  # an absolute path: sqlite:////tmp/...


def test_whitelisted_recipient_gets_the_mail_while_the_others_copy_is_quarantined(
        postfix, smtp_sink, start_qmilter, qmilter_config, smtp, sqlite_url):
    config = qmilter_config(rig.simple_config({"spam": spam_with_db(sqlite_url, "whitelist")}))
    trusting, other = rig.unique_address(), rig.unique_address()
    qmilterctl(config, "whitelist", "spam", "add", "-f", "@partner.example", "-t", trusting,
               "-c", "partner newsletter")
    start_qmilter(config)

    result = smtp(SENDER, [trusting, other], rig.make_message(SPAM, to=trusting))
    assert result.accepted, result
    delivered = smtp_sink.wait_for_message(trusting)
    assert delivered.recipients == [trusting]
    assert delivered.header("X-Spam-Flag") == "YES"
    assert smtp_sink.messages_to(other) == []
    # The entry that matched was marked used (last_used of the heaviest match is updated).
    entry = json.loads(qmilterctl(config, "whitelist", "spam", "list", "--json"))[0]
    assert entry["last_used"] > entry["created"], entry


def test_batv_sender_and_mixed_case_match_the_entry(postfix, smtp_sink, start_qmilter,
                                                    qmilter_config, smtp, sqlite_url):
    config = qmilter_config(rig.simple_config({"spam": spam_with_db(sqlite_url, "whitelist")}))
    rcpt = rig.unique_address()
    qmilterctl(config, "whitelist", "spam", "add", "-f", SENDER, "-t", rcpt)
    start_qmilter(config)
    result = smtp("prvs=0123456789=Friend@Partner.example", [rcpt.upper()],
                  rig.make_message(SPAM, to=rcpt))
    assert result.accepted, result
    smtp_sink.wait_for_message(rcpt.upper())


@pytest.mark.parametrize("preferred, expect_code", [("first", 250), ("last", 554)])
def test_recipient_whitelisted_in_one_quarantine_falls_to_the_next_and_preference_picks_the_action(
        postfix, smtp_sink, start_qmilter, qmilter_config, smtp, sqlite_url, preferred,
        expect_code):
    """spam (discard, DB whitelist) has precedence over virus (reject). A recipient whitelisted
    for spam is still quarantined by virus; with both quarantines assigned, `first` answers
    with spam's discard and `last` with virus's reject."""
    config = qmilter_config(rig.simple_config({
        "spam": spam_with_db(sqlite_url, "whitelist"),
        "virus": rig.quarantine_section(r"^X-Virus: \S+", "reject", reject_reason="Virus found"),
    }, preferred=preferred))
    whitelisted, plain = rig.unique_address(), rig.unique_address()
    qmilterctl(config, "whitelist", "spam", "add", "-f", SENDER, "-t", whitelisted)
    start_qmilter(config)

    both = smtp(SENDER, [whitelisted, plain], rig.make_message({**SPAM, **VIRUS}, to=plain))
    assert both.final[0] == expect_code, both
    if expect_code == 554:
        assert both.final == (554, "5.7.0 Virus found"), both

    # Alone, the whitelisted recipient only falls to virus: rejected whatever the preference.
    alone = smtp(SENDER, [whitelisted], rig.make_message({**SPAM, **VIRUS}, to=whitelisted))
    assert alone.final == (554, "5.7.0 Virus found"), alone
    # Spam alone: the whitelisted recipient gets it.
    spam_only = smtp(SENDER, [whitelisted], rig.make_message(SPAM, to=whitelisted))
    assert spam_only.accepted, spam_only
    smtp_sink.wait_for_message(whitelisted)
    assert smtp_sink.messages_to(plain) == []


@pytest.fixture(params=sorted(SERVERS))
def database(request):
    base = tempfile.mkdtemp(prefix="qmilter-db.", dir="/tmp")
    server = SERVERS[request.param](base)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_database_outage_means_tempfail_and_heals_without_restarting_qmilter(
        postfix, smtp_sink, start_qmilter, qmilter_config, smtp, database):
    # The INI is read like Python's configparser: the URL's %-escapes are written %%.
    config = qmilter_config(rig.simple_config({"spam": spam_with_db(
        database.url.replace("%", "%%"), "whitelist", whitelist_db_timeout=3)}))
    trusting, other = rig.unique_address(), rig.unique_address()
    qmilterctl(config, "whitelist", "spam", "add", "-f", SENDER, "-t", trusting)
    qmilter = start_qmilter(config)

    before = smtp(SENDER, [trusting], rig.make_message(SPAM, to=trusting))
    assert before.accepted, before
    smtp_sink.wait_for_message(trusting)

    database.stop()
    mark = qmilter.log.mark()
    # A message that needs the whitelist: TEMPFAIL, so the sending MTA keeps and retries it.
    down = smtp(SENDER, [trusting, other], rig.make_message(SPAM, to=trusting))
    assert down.final is not None and down.final[0] == 451, down
    assert qmilter.log.search(r"whitelist", since=mark), qmilter.log.text(mark)
    assert qmilter.log.search(r"\*\*\*", since=mark) or "S3cr" not in qmilter.log.text(mark)
    assert "S3cr" not in qmilter.log.text(), "the database password reached the log"
    # Mail that matches no quarantine needs no whitelist and still flows.
    clean_rcpt = rig.unique_address()
    clean = smtp(SENDER, [clean_rcpt], rig.make_message(to=clean_rcpt))
    assert clean.accepted, clean
    smtp_sink.wait_for_message(clean_rcpt)
    assert len(smtp_sink.messages_to(trusting)) == 1

    database.start()
    # The retry after the restart: the whitelisted copy passes, the other is quarantined,
    # by the same qmilter process (its stale pooled connections are replaced).
    retry = smtp(SENDER, [trusting, other], rig.make_message(SPAM, to=trusting))
    assert retry.accepted, retry
    rig.wait_until(lambda: len(smtp_sink.messages_to(trusting)) == 2,
                   "the retried message at the sink")
    assert smtp_sink.messages_to(trusting)[-1].recipients == [trusting]
    assert smtp_sink.messages_to(other) == []
    assert qmilter.running()


def test_messages_flowing_while_the_database_goes_down_and_up_are_never_misdelivered(
        postfix, smtp_sink, start_qmilter, qmilter_config, smtp, database):
    """A sender keeps sending to a whitelisted and a plain recipient while the server stops
    and starts: every message is either accepted (the whitelisted copy delivered, the other
    quarantined) or refused with 451 for a retry; the plain recipient never gets a copy."""
    config = qmilter_config(rig.simple_config({"spam": spam_with_db(
        database.url.replace("%", "%%"), "whitelist", whitelist_db_timeout=3)}))
    trusting, other = rig.unique_address(), rig.unique_address()
    qmilterctl(config, "whitelist", "spam", "add", "-f", SENDER, "-t", trusting)
    start_qmilter(config)

    results = []
    stop = threading.Event()

    def keep_sending():
        while not stop.is_set():
            results.append(smtp(SENDER, [trusting, other], rig.make_message(SPAM, to=trusting)))

    sender = threading.Thread(target=keep_sending)
    sender.start()
    try:
        rig.wait_until(lambda: any(r.accepted for r in results), "a message accepted before the outage")
        database.stop()
        count = len(results)
        rig.wait_until(lambda: any(r.final and r.final[0] == 451 for r in results[count:]),
                       "a 451 while the database is down")
        database.start()
        count = len(results)
        rig.wait_until(lambda: any(r.accepted for r in results[count + 1:]),
                       "a message accepted after the restart")
    finally:
        stop.set()
        sender.join(60)
    codes = [r.final[0] if r.final else None for r in results]
    assert set(codes) <= {250, 451}, codes
    accepted = codes.count(250)
    rig.wait_until(lambda: len(smtp_sink.messages_to(trusting)) == accepted,
                   f"{accepted} copies for the whitelisted recipient")
    assert all(m.recipients == [trusting] for m in smtp_sink.messages_to(trusting))
    assert smtp_sink.messages_to(other) == []
