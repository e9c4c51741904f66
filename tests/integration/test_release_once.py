"""Concurrent release of one recipient from two hosts: delivered exactly once.

One entry, quarantined by a real qmilter behind a real Postfix, is released to the same
recipient at the same moment by eight `qmilterctl release` processes (half with host A's
configuration, half with host B's, both on one PostgreSQL server) and by POSTs to a
qmilter-web: only one of them may send. The relay is a HoldingRelay, which takes the end of
data and holds its reply until every other releaser has given up, so a second send could not
slip in after the first had finished: each releaser that got past the store would be counted
there. The same for the file store, whose releasers share one host. Afterwards the other
recipient is still held, and a relay that is down loses nothing (the claim is given back).
"""

import json
import os
import subprocess
import threading

import pytest

import rig
from rig.databases import scratch_postgres

SPAM = {"X-Spam-Flag": "YES"}
SENDER = "sender@example.org"
RELEASERS = 8
WEB_POSTS = 4


@pytest.fixture(scope="module")
def database():
    with scratch_postgres("qmilter-release-once.") as server:
        yield server


@pytest.fixture
def relay():
    holding = rig.HoldingRelay().start()
    yield holding
    holding.stop()


@pytest.fixture
def web_processes():
    started = []
    yield started
    for web in started:
        web.stop()


def with_web(rig_dir, section, name):
    """A configuration with qmilter-web set up (its secret made); (sections, web port)."""
    base = os.path.join(rig_dir, name)
    os.makedirs(base, exist_ok=True)
    port = rig.free_port()
    sections = rig.simple_config({"spam": section}, state_dir=os.path.join(base, "state"),
                                 web_listen=f"127.0.0.1:{port}", web_base_url=f"http://127.0.0.1:{port}/",
                                 web_secret_file=os.path.join(base, "web.secret"))
    return sections, port


def qmilterctl(config, *args):
    result = rig.run_qmilterctl(["-c", config, "quarantine", "spam", *args])
    assert result.returncode == 0, f"qmilterctl {' '.join(args)}: {result.stderr}"
    return result.stdout


def quarantine(postfix, config, rcpts):
    message = rig.make_message(SPAM, to=rcpts[0])
    assert rig.send_mail(postfix.smtpd_host, postfix.smtpd_port, SENDER, rcpts, message).accepted
    listed = rig.wait_until(lambda: qmilterctl(config, "list", "-b").split(), "the quarantine entry")
    assert len(listed) == 1, listed
    return listed[0]


def recipients(config, qid):
    return json.loads(qmilterctl(config, "metadata", qid))["recipients"]


def release_race(configs, web, link, relay, qid, rcpt):
    """Every releaser at once; returns (qmilterctl results, web statuses) once all ended."""
    status, _, page = web.get(link)
    assert status == 200, page
    csrf = rig.csrf_of(page)
    qmilterctl_path = os.path.join(rig.build_dir(), "bin", "qmilterctl")
    statuses = []
    posts = [threading.Thread(target=lambda: statuses.append(web.post(link, {"csrf": csrf, "action": "release"})[0]))
             for _ in range(WEB_POSTS)]
    procs = []
    for i in range(RELEASERS):
        procs.append(subprocess.Popen([qmilterctl_path, "-c", configs[i % len(configs)], "quarantine", "spam",
                                       "release", qid, "-t", rcpt],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        if i < len(posts):
            posts[i].start()
    try:
        # The winner is held at the relay; everyone else must end without its answer.
        rig.wait_until(lambda: relay.received and sum(p.poll() is None for p in procs) <= 1,
                       "every qmilterctl but the one being held done", 60,
                       state=lambda: f"relay got {len(relay.received)}, web answered {statuses}, "
                                     f"qmilterctl running: {[p.pid for p in procs if p.poll() is None]}")
    finally:
        relay.release()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        results.append((proc.returncode, out, err))
    for post in posts:
        post.join(60)
    return results, statuses


def check_exactly_once(results, statuses, relay, rcpt):
    assert len(relay.received) == 1, f"the relay got the message {len(relay.received)} times"
    winners = [r for r in results if r[0] == 0] + [s for s in statuses if s == 200]
    assert len(winners) == 1, (results, statuses)
    for code, out, err in results:
        if code != 0:
            assert f"to {rcpt}: nothing sent" in err, err
    assert all(s in (200, 410) for s in statuses), statuses
    assert len(statuses) == WEB_POSTS


def test_two_hosts_on_one_database_release_one_recipient_exactly_once(
        database, postfix, smtp_sink, start_qmilter, qmilter_config, relay, rig_dir, web_processes):
    def section(host):
        return rig.quarantine_section(
            quarantine_type="db", quarantine_db_connection=database.url.replace("%", "%%"),
            quarantine_db_table="once", quarantine_db_host=host, quarantine_db_timeout=5,
            smtp_host=relay.host, smtp_port=relay.port)
    config_a = qmilter_config(rig.simple_config({"spam": section("mx-a.example.org")}), "once-a.conf")
    sections_b, port = with_web(rig_dir, section("mx-b.example.org"), "once-b")
    config_b = qmilter_config(sections_b, "once-b.conf")
    assert rig.run_qmilterctl(["-c", config_b, "web", "secret"]).returncode == 0
    start_qmilter(config_a)
    released, kept = rig.unique_address("released"), rig.unique_address("kept")
    qid = quarantine(postfix, config_a, [released, kept])

    web = rig.WebProcess(config_b, port, os.path.join(rig_dir, "once-b", "web.log")).start()
    web_processes.append(web)
    link = qmilterctl(config_b, "link", qid, "-t", released).strip()
    results, statuses = release_race([config_a, config_b], web, link, relay, qid, released)

    check_exactly_once(results, statuses, relay, released)
    assert recipients(config_a, qid) == [kept]
    # Nothing stays claimed: the kept recipient can be released at once.
    assert database.sql("SELECT recipient, claim FROM once_recipients").split() == [kept], "a claim was left"
    assert web.get(link)[0] == 410, "the link of a released recipient"


def test_processes_on_one_host_release_one_file_store_recipient_exactly_once(
        postfix, smtp_sink, start_qmilter, qmilter_config, relay, rig_dir, web_processes):
    qdir = os.path.join(rig_dir, "once-file")
    os.makedirs(qdir, exist_ok=True)
    section = rig.quarantine_section(quarantine_type="file", quarantine_directory=qdir,
                                     smtp_host=relay.host, smtp_port=relay.port)
    sections, port = with_web(rig_dir, section, "once-file-web")
    config = qmilter_config(sections, "once-file.conf")
    assert rig.run_qmilterctl(["-c", config, "web", "secret"]).returncode == 0
    start_qmilter(config)
    released, kept = rig.unique_address("released"), rig.unique_address("kept")
    qid = quarantine(postfix, config, [released, kept])

    web = rig.WebProcess(config, port, os.path.join(rig_dir, "once-file-web", "web.log")).start()
    web_processes.append(web)
    link = qmilterctl(config, "link", qid, "-t", released).strip()
    results, statuses = release_race([config], web, link, relay, qid, released)

    check_exactly_once(results, statuses, relay, released)
    assert recipients(config, qid) == [kept]
    with open(os.path.join(qdir, qid + ".metadata")) as f:
        assert "release_claims" not in f.read(), "a claim was left in the metadata"


def test_a_relay_that_is_down_gives_the_claim_back(
        database, postfix, smtp_sink, start_qmilter, qmilter_config, rig_dir):
    down = rig.free_port()  # nothing listens there
    section = rig.quarantine_section(
        quarantine_type="db", quarantine_db_connection=database.url.replace("%", "%%"),
        quarantine_db_table="down", quarantine_db_timeout=5, smtp_port=down)
    config = qmilter_config(rig.simple_config({"spam": section}), "once-down.conf")
    start_qmilter(config)
    rcpt = rig.unique_address()
    qid = quarantine(postfix, config, [rcpt])
    for _ in range(2):  # the second would be refused if the first had left its claim
        failed = rig.run_qmilterctl(["-c", config, "quarantine", "spam", "release", qid, "-t", rcpt])
        assert failed.returncode != 0 and "failed:" in failed.stderr and "nothing sent" not in failed.stderr, \
            failed.stderr
    assert recipients(config, qid) == [rcpt]
    assert database.sql("SELECT claim FROM down_recipients").strip() == ""
