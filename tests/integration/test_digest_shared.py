"""Digests from two hosts that share one db quarantine on PostgreSQL: one digest each.

A real Postfix hands spam for u1 and u2 to a real qmilter storing in PostgreSQL; two
configurations name different hosts on that database, each with its own state_dir, as two
MX hosts have them. `qmilterctl digest` from both at once (several rounds, several runs per
host) gives every recipient exactly one digest per round at smtp-sink, and a run right
after sends nothing. A run killed with -9 while the relay holds its digest leaves its claim:
other runs leave that recipient alone while the claim lives, and once its lifetime is over
(moved back in the database here, as time would) the next run sends it; nothing after that.
"""

import os
import re
import shutil
import signal
import subprocess

import pytest

import rig
from rig.databases import scratch_postgres

SPAM = {"X-Spam-Flag": "YES"}
RUNS_PER_HOST = 3
ROUNDS = 3


@pytest.fixture(scope="module")
def database():
    with scratch_postgres("qmilter-digest-shared.") as server:
        yield server


def host_config(qmilter_config, rig_dir, database, table, host, relay_port):
    base = os.path.join(rig_dir, f"{table}-{host}")
    os.makedirs(base, exist_ok=True)
    template = os.path.join(base, "digest.template")
    shutil.copy(os.path.join(rig.source_dir(), "templates", "digest.template"), template)
    section = rig.quarantine_section(
        quarantine_type="db", quarantine_db_connection=database.url.replace("%", "%%"),
        quarantine_db_table=table, quarantine_db_host=host, quarantine_db_timeout=5,
        smtp_host="127.0.0.1", smtp_port=relay_port, digest="daily", digest_template=template,
        digest_from="Quarantine <digest@rig.test>", digest_envelope_from="digest@rig.test")
    return qmilter_config(rig.simple_config({"spam": section}, state_dir=os.path.join(base, "state")),
                          f"{table}-{host}.conf")


def quarantine(smtp, config, rcpt, count):
    def listed():
        done = rig.run_qmilterctl(["-c", config, "quarantine", "spam", "list", "-b", "-t", rcpt])
        assert done.returncode == 0, done.stderr
        return len(done.stdout.split())
    before = listed()
    assert smtp("spammer@example.org", [rcpt], rig.make_message(SPAM, to=rcpt)).accepted
    rig.wait_until(lambda: listed() > before, f"a quarantine entry for {rcpt}")
    assert listed() == count


def digests_to(smtp_sink, rcpt):
    return [m for m in smtp_sink.messages_to(rcpt) if m.mail_from == "digest@rig.test"]


def settled(smtp_sink):
    marker = rig.unique_address("marker")
    assert rig.send_mail(smtp_sink.host, smtp_sink.port, "marker@rig.test", [marker],
                         rig.make_message(to=marker)).accepted
    smtp_sink.wait_for_message(marker)


def digest(config, *args):
    return subprocess.Popen([os.path.join(rig.build_dir(), "bin", "qmilterctl"), "-c", config, "digest", "--force",
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_together(configs):
    procs = [digest(configs[i % len(configs)]) for i in range(RUNS_PER_HOST * len(configs))]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    for code, out, err in results:
        assert code == 0, (out, err)
    return results


def test_runs_from_two_hosts_at_once_send_each_digest_once(
        database, postfix, smtp_sink, start_qmilter, qmilter_config, smtp, rig_dir):
    config_a = host_config(qmilter_config, rig_dir, database, "shared", "mx-a.example.org", smtp_sink.port)
    config_b = host_config(qmilter_config, rig_dir, database, "shared", "mx-b.example.org", smtp_sink.port)
    start_qmilter(config_a)
    u1, u2 = rig.unique_address("u1"), rig.unique_address("u2")
    for round_ in range(1, ROUNDS + 1):
        quarantine(smtp, config_a, u1, round_)
        quarantine(smtp, config_a, u2, round_)
        run_together([config_a, config_b])
        settled(smtp_sink)
        assert len(digests_to(smtp_sink, u1)) == round_, f"round {round_}: digests to u1"
        assert len(digests_to(smtp_sink, u2)) == round_, f"round {round_}: digests to u2"

    again = rig.run_qmilterctl(["-c", config_b, "digest", "--force"])
    assert again.returncode == 0, again.stderr
    settled(smtp_sink)
    assert len(digests_to(smtp_sink, u1)) == ROUNDS and len(digests_to(smtp_sink, u2)) == ROUNDS
    # What both hosts' state_dirs hold: nothing; the state is in the database.
    notes = database.sql("SELECT note_key FROM shared_notes ORDER BY note_key").split()
    assert notes == sorted(["digest-ran", f"digest/{u1}", f"digest/{u2}"]), notes
    assert "claim" not in database.sql("SELECT value FROM shared_notes"), "a claim was left"


def test_a_run_killed_mid_send_leaves_its_recipient_to_a_later_run(
        database, postfix, smtp_sink, start_qmilter, qmilter_config, smtp, rig_dir):
    relay = rig.HoldingRelay().start()
    try:
        killed_config = host_config(qmilter_config, rig_dir, database, "killed", "mx-a.example.org", relay.port)
        config_b = host_config(qmilter_config, rig_dir, database, "killed", "mx-b.example.org", smtp_sink.port)
        start_qmilter(config_b)
        u1 = rig.unique_address("u1")
        quarantine(smtp, config_b, u1, 1)
        killed = digest(killed_config)
        rig.wait_until(lambda: relay.received, "the killed run's digest at the relay")
        killed.send_signal(signal.SIGKILL)
        killed.communicate(timeout=30)
    finally:
        relay.release()
        relay.stop()

    # The claim lives: the other host leaves u1 alone.
    left = rig.run_qmilterctl(["-c", config_b, "digest", "--force"])
    assert left.returncode == 0, left.stderr
    settled(smtp_sink)
    assert digests_to(smtp_sink, u1) == []
    value = database.sql(f"SELECT value FROM killed_notes WHERE note_key = 'digest/{u1}'")
    assert re.search(r"^claim [0-9a-f]+ \d+$", value, re.M), value

    # Its lifetime over (15 minutes), the next run takes it over and sends.
    database.sql("UPDATE killed_notes SET value = regexp_replace(value, 'claim ([0-9a-f]+) [0-9]+', "
                 "'claim \\1 1000') WHERE note_key LIKE 'digest/%'")
    sent = rig.run_qmilterctl(["-c", config_b, "digest", "--force"])
    assert sent.returncode == 0, sent.stderr
    again = rig.run_qmilterctl(["-c", config_b, "digest", "--force"])
    assert again.returncode == 0, again.stderr
    settled(smtp_sink)
    assert len(digests_to(smtp_sink, u1)) == 1
