"""qmilter-web end to end, with plain HTTP clients: a real Postfix hands spam to qmilter,
the FILE store keeps it, the email notifier sends the shipped template with each
recipient's link to a real smtp-sink, and a real qmilter-web on a free port serves the
links. Releases go through the relay (the same smtp-sink) and are counted there.

Covered: the page and its headers, release once (a replay sends nothing), delete,
whitelist-and-release, a link scanner's GETs, tampered/truncated/foreign tokens, expiry
(a link made under faketime in the past), a recipient no longer held, CSRF missing or from
another link, rate limiting, oversize and slow requests, the relay and the store down, and
the configuration checks of qmilter-web -t and qmilter -t.
"""

import base64
import email
import email.policy
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid

import pytest

import rig

SPAM = [("X-Spam-Flag", "YES")]


def notification_html(message) -> str:
    parsed = email.message_from_bytes(message.data, policy=email.policy.default)
    part = parsed.get_body(preferencelist=("html",))
    return part.get_content()


class Setup:
    """One test's quarantine, configuration, secret and qmilter-web."""

    def __init__(self, base, smtp_sink, relay_port=None, extra_global=None, whitelist=True):
        self.base = base
        self.qdir = os.path.join(base, "quarantine")
        os.makedirs(self.qdir)
        self.port = rig.free_port()
        self.secret = os.path.join(base, "web.secret")
        template = os.path.join(base, "notification.template")
        shutil.copy(os.path.join(rig.source_dir(), "templates", "notification.template"), template)
        shutil.copy(os.path.join(rig.source_dir(), "templates", "removed.png"), os.path.join(base, "removed.png"))
        section = rig.quarantine_section(
            quarantine_type="file", quarantine_directory=self.qdir,
            notification_type="email",
            smtp_host="127.0.0.1", smtp_port=relay_port or smtp_sink.port,
            notification_email_smtp_host=smtp_sink.host, notification_email_smtp_port=smtp_sink.port,
            notification_email_envelope_from="notify@rig.test",
            notification_email_from="Quarantine <notify@rig.test>",
            notification_email_subject="Quarantined: {EMAIL_SUBJECT}",
            notification_email_template=template,
            notification_email_replacement_img=os.path.join(base, "removed.png"))
        if whitelist:
            section.update(whitelist_type="db", whitelist_db_connection="sqlite:///" + os.path.join(base, "wl.db"),
                           whitelist_db_table="whitelist")
        self.sections = rig.simple_config(
            {"spam": section}, state_dir=os.path.join(base, "state"),
            web_listen=f"127.0.0.1:{self.port}", web_base_url=f"http://127.0.0.1:{self.port}/",
            web_secret_file=self.secret, **(extra_global or {}))
        self.config = rig.write_config(os.path.join(base, "qmilter.conf"), self.sections)
        made = rig.run_qmilterctl(["-c", self.config, "web", "secret"])
        assert made.returncode == 0, made.stderr
        self.web = None

    def start_web(self, env=None):
        self.web = rig.WebProcess(self.config, self.port, os.path.join(self.base, "web.log"), env=env).start()
        return self.web

    def entries(self):
        return sorted(n for n in os.listdir(self.qdir) if not n.endswith(".metadata") and not n.startswith("."))

    def recipients(self, qid):
        listed = rig.run_qmilterctl(["-c", self.config, "quarantine", "spam", "metadata", qid])
        if listed.returncode != 0:
            return None
        return json.loads(listed.stdout)["recipients"]

    def link(self, qid, rcpt, *args, env=None):
        argv = [os.path.join(rig.build_dir(), "bin", "qmilterctl"), "-c", self.config, "quarantine", "spam",
                "link", qid, "-t", rcpt, *args]
        made = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60,
                              env={**os.environ, **(env or {})})
        assert made.returncode == 0, made.stderr
        return made.stdout.strip()


@pytest.fixture
def setup(rig_dir, smtp_sink, request):
    made = []

    def make(**kwargs):
        base = os.path.join(rig_dir, f"web-{uuid.uuid4().hex[:8]}")
        os.makedirs(base)
        s = Setup(base, smtp_sink, **kwargs)
        made.append(s)
        return s
    yield make
    for s in made:
        if s.web:
            s.web.stop()


def quarantine_spam(smtp, smtp_sink, setup, rcpts, subject="Cheap pills", body="Buy now.\r\n"):
    """Send one spam message to rcpts; return (quarantine id, {rcpt: link from its notification})."""
    message = rig.make_message(SPAM, subject=subject, body=body, to=", ".join(rcpts))
    assert smtp("spammer@example.org", rcpts, message).accepted
    qid = rig.wait_until(lambda: setup.entries(), "a quarantine entry")[0]
    links = {}
    for rcpt in rcpts:
        notification = smtp_sink.wait_for_message(rcpt)
        found = rig.links_in(notification_html(notification))
        assert len(found) == 1, notification_html(notification)
        links[rcpt] = found[0]
    return qid, links


def sink_settled(smtp_sink):
    """Wait until smtp-sink has taken everything sent to it so far. qmilter-web relays before
    it answers, so once a marker mail sent after the answer has arrived, a release that
    happened would be there too: no fixed sleep before asserting that none did."""
    marker = rig.unique_address("marker")
    assert rig.send_mail(smtp_sink.host, smtp_sink.port, "marker@rig.test", [marker],
                         rig.make_message(to=marker)).accepted
    smtp_sink.wait_for_message(marker)


def released_to(smtp_sink, rcpt):
    """Messages the relay took for rcpt that are the original, not a notification."""
    return [m for m in smtp_sink.messages_to(rcpt) if m.mail_from == "spammer@example.org"]


def test_release_from_the_notification_link_delivers_once(postfix, smtp_sink, start_qmilter, smtp, setup):
    s = setup()
    start_qmilter(s.config)
    web = s.start_web()
    a, b = rig.unique_address("alice"), rig.unique_address("bob")
    qid, links = quarantine_spam(smtp, smtp_sink, s, [a, b], subject="Cheap <b>pills</b>")
    assert links[a] != links[b]
    assert links[a].startswith(f"http://127.0.0.1:{s.port}/m/")

    status, headers, page = web.get(links[a])
    assert status == 200
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff"
    assert "Cheap &lt;b&gt;pills&lt;/b&gt;" in page
    assert "spammer@example.org" in page and a in page and "spam" in page
    assert "x-spam-flag: YES" in page
    for action in ("release", "whitelist", "delete"):
        assert f'name="action" value="{action}"' in page
    assert page.count('method="post"') == 3 and "<script" not in page

    status, _, done = web.post(links[a], {"csrf": rig.csrf_of(page), "action": "release"})
    assert status == 200 and "Released" in done
    released = rig.wait_until(lambda: released_to(smtp_sink, a), "the release at smtp-sink")
    assert released[0].recipients == [a]
    with open(os.path.join(s.qdir, qid), "rb") as f:
        assert released[0].data == f.read().replace(b"\r\n", b"\n")
    assert s.recipients(qid) == [b]

    # The same click again, and the page again: nothing more is sent.
    status, _, again = web.post(links[a], {"csrf": rig.csrf_of(page), "action": "release"})
    assert status == 410 and "no longer held" in again
    assert web.get(links[a])[0] == 410
    sink_settled(smtp_sink)
    assert len(released_to(smtp_sink, a)) == 1
    assert s.recipients(qid) == [b]
    assert web.log.wait_for(rf"entry '{qid}', recipient <{a}>, client 127.0.0.1: released through")


def test_a_link_scanner_fetching_every_link_releases_nothing(postfix, smtp_sink, start_qmilter, smtp, setup):
    s = setup()
    start_qmilter(s.config)
    web = s.start_web()
    a = rig.unique_address()
    qid, links = quarantine_spam(smtp, smtp_sink, s, [a])
    notification = notification_html(smtp_sink.messages_to(a)[0])
    for _ in range(3):
        for link in rig.links_in(notification):
            assert web.get(link)[0] == 200
            assert web.request("HEAD", link)[0] == 200
    sink_settled(smtp_sink)
    assert released_to(smtp_sink, a) == []
    assert s.recipients(qid) == [a]


def test_tampered_truncated_foreign_and_unknown_links_are_refused(postfix, smtp_sink, start_qmilter, smtp, setup):
    s = setup()
    start_qmilter(s.config)
    web = s.start_web()
    a = rig.unique_address()
    qid, links = quarantine_spam(smtp, smtp_sink, s, [a])
    token = links[a].rsplit("/", 1)[1]
    flipped = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
    for bad in (flipped, token[:-1], token[:-10], token[:30], token + "A", "", "not-a-token", "%00" * 10,
                "A" * 5000):
        status, _, body = web.get("/m/" + bad)
        assert status == 403, (bad, status)
        assert qid not in body and a not in body
    # A token signed with another secret.
    other = setup()
    with open(s.secret) as mine, open(other.secret) as theirs:
        assert mine.read() != theirs.read()
    shutil.copy(os.path.join(s.qdir, qid), os.path.join(other.qdir, qid))
    shutil.copy(os.path.join(s.qdir, qid + ".metadata"), os.path.join(other.qdir, qid + ".metadata"))
    foreign = other.link(qid, a).rsplit("/", 1)[1]
    assert web.get("/m/" + foreign)[0] == 403
    assert web.get("/nothing-here")[0] == 404
    assert web.get("/m/" + token + "/extra")[0] == 403
    assert web.request("PUT", links[a])[0] == 405
    assert s.recipients(qid) == [a]


def test_an_expired_link_is_gone(postfix, smtp_sink, start_qmilter, smtp, setup):
    s = setup()
    start_qmilter(s.config)
    web = s.start_web()
    a = rig.unique_address()
    qid, _ = quarantine_spam(smtp, smtp_sink, s, [a])
    # Made 20 days ago with a lifetime of 14 days.
    expired = s.link(qid, a, "--days", "14",
                     env={"LD_PRELOAD": "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                          "FAKETIME": "-20d"})
    status, _, body = web.get(expired)
    assert status == 410 and "expired" in body
    status, _, _ = web.post(expired, {"csrf": "x", "action": "release"})
    assert status == 410
    fresh = s.link(qid, a, "--days", "1")
    assert web.get(fresh)[0] == 200
    assert s.recipients(qid) == [a]


def test_the_documented_token_format_is_what_qmilter_web_verifies(postfix, smtp_sink, start_qmilter, smtp, setup):
    s = setup()
    start_qmilter(s.config)
    web = s.start_web()
    a = rig.unique_address()
    qid, links = quarantine_spam(smtp, smtp_sink, s, [a])
    expires = int(time.time()) + 3600
    made = rig.make_token(s.secret, "spam", qid, a, expires)
    assert web.get("/m/" + made)[0] == 200
    issued = links[a].rsplit("/", 1)[1]
    # The notification's token decodes to the same fields (its expiry is web_link_days away).
    raw = base64.urlsafe_b64decode(issued + "=" * (-len(issued) % 4))
    assert raw[0] == 1 and raw[9:].startswith(bytes([4]) + b"spam" + bytes([len(qid)]) + qid.encode())
    days = (int.from_bytes(raw[1:9], "big") - time.time()) / 86400
    assert 13.9 < days <= 14
    assert issued == rig.make_token(s.secret, "spam", qid, a, int.from_bytes(raw[1:9], "big"))
    assert web.get("/m/" + rig.make_token(s.secret, "spam", qid, a, int(time.time()) - 1))[0] == 410
    assert web.get("/m/" + rig.make_token(s.secret, "other", qid, a, expires))[0] == 404


def test_a_recipient_no_longer_held_gets_gone(postfix, smtp_sink, start_qmilter, smtp, setup):
    s = setup()
    start_qmilter(s.config)
    web = s.start_web()
    a, b = rig.unique_address(), rig.unique_address()
    qid, links = quarantine_spam(smtp, smtp_sink, s, [a, b])
    deleted = rig.run_qmilterctl(["-c", s.config, "quarantine", "spam", "delete", qid, "-t", b])
    assert deleted.returncode == 0, deleted.stderr
    assert web.get(links[b])[0] == 410
    assert web.get(links[a])[0] == 200
    refused = rig.run_qmilterctl(["-c", s.config, "quarantine", "spam", "link", qid, "-t", b])
    assert refused.returncode == 1 and "is not a recipient" in refused.stderr


def test_csrf_missing_wrong_or_from_another_link_is_refused(postfix, smtp_sink, start_qmilter, smtp, setup):
    s = setup()
    start_qmilter(s.config)
    web = s.start_web()
    a, b = rig.unique_address(), rig.unique_address()
    qid, links = quarantine_spam(smtp, smtp_sink, s, [a, b])
    page_b = web.get(links[b])[2]
    for fields in ({"action": "release"}, {"csrf": "", "action": "release"},
                   {"csrf": rig.csrf_of(page_b), "action": "release"},
                   {"csrf": rig.csrf_of(page_b)[:-1] + "A", "action": "release"}):
        status, _, body = web.post(links[a], fields)
        assert status == 403, fields
    page_a = web.get(links[a])[2]
    assert web.post(links[a], {"csrf": rig.csrf_of(page_a), "action": "explode"})[0] == 400
    assert web.post(links[a], {"csrf": rig.csrf_of(page_a)})[0] == 400
    body = f"csrf={rig.csrf_of(page_a)}&action=release".encode()
    assert web.request("POST", links[a], body, {"Content-Type": "text/plain"})[0] == 400
    sink_settled(smtp_sink)
    assert released_to(smtp_sink, a) == [] and released_to(smtp_sink, b) == []
    assert s.recipients(qid) == [a, b]


def test_delete_and_whitelist_act_for_that_recipient_only(postfix, smtp_sink, start_qmilter, smtp, setup):
    s = setup()
    start_qmilter(s.config)
    web = s.start_web()
    a, b, c = rig.unique_address(), rig.unique_address(), rig.unique_address()
    qid, links = quarantine_spam(smtp, smtp_sink, s, [a, b, c])
    page = web.get(links[a])[2]
    status, _, body = web.post(links[a], {"csrf": rig.csrf_of(page), "action": "delete"})
    assert status == 200 and "Deleted" in body
    assert s.recipients(qid) == [b, c]
    assert web.log.wait_for(rf"recipient <{a}>, client 127.0.0.1: deleted")

    page = web.get(links[b])[2]
    status, _, body = web.post(links[b], {"csrf": rig.csrf_of(page), "action": "whitelist"})
    assert status == 200 and "accepted from now on" in body
    rig.wait_until(lambda: released_to(smtp_sink, b), "the release to b")
    listed = rig.run_qmilterctl(["-c", s.config, "whitelist", "spam", "list", "-b"])
    assert listed.returncode == 0 and len(listed.stdout.split()) == 1
    shown = rig.run_qmilterctl(["-c", s.config, "whitelist", "spam", "list", "--json"])
    assert '"mailfrom": "spammer@example.org"' in shown.stdout and f'"recipient": "{b}"' in shown.stdout
    assert s.recipients(qid) == [c]
    # The whitelist now lets the next message from that sender through to b only.
    message = rig.make_message(SPAM, to=b)
    assert smtp("spammer@example.org", [b], message).accepted
    rig.wait_until(lambda: len(released_to(smtp_sink, b)) == 2, "the whitelisted message")
    # The last recipient: the entry goes when c releases.
    page = web.get(links[c])[2]
    assert web.post(links[c], {"csrf": rig.csrf_of(page), "action": "release"})[0] == 200
    assert qid not in s.entries()


def test_relay_down_answers_503_and_keeps_the_entry(postfix, smtp_sink, start_qmilter, smtp, setup):
    s = setup(relay_port=rig.free_port())
    start_qmilter(s.config)
    web = s.start_web()
    a = rig.unique_address()
    qid, links = quarantine_spam(smtp, smtp_sink, s, [a])
    page = web.get(links[a])[2]
    status, headers, body = web.post(links[a], {"csrf": rig.csrf_of(page), "action": "release"})
    assert status == 503 and headers.get("retry-after") == "60"
    assert "Nothing was changed" in body
    assert s.recipients(qid) == [a]
    assert web.log.wait_for(r"release failed through 127\.0\.0\.1:\d+: .*the entry is kept")


def test_store_down_answers_503_and_heals(smtp_sink, setup, rig_dir):
    s = setup(whitelist=False)
    store_dir = os.path.join(s.base, "misbehaving")
    os.makedirs(store_dir)
    with open(os.path.join(store_dir, "E1.entry"), "w") as f:
        f.write(f"from spammer@example.org\ndate {int(time.time())}\nto a@example.com\n")
    plugin = os.path.join(rig.build_dir(), "tests", "plugins", "quarantine_misbehaving.so")
    s.sections["spam"].update(quarantine_type=plugin, misbehaving_directory=store_dir, notification_type="none")
    for key in list(s.sections["spam"]):
        if key.startswith("notification_email"):
            del s.sections["spam"][key]
    rig.write_config(s.config, s.sections)
    web = s.start_web()
    link = s.link("E1", "a@example.com")
    assert web.get(link)[0] == 200
    open(os.path.join(store_dir, "down"), "w").close()
    status, _, body = web.get(link)
    assert status == 503 and "try again later" in body.lower()
    assert web.post(link, {"csrf": "whatever", "action": "release"})[0] in (403, 503)
    os.unlink(os.path.join(store_dir, "down"))
    status, _, page = web.get(link)
    assert status == 200
    open(os.path.join(store_dir, "down"), "w").close()
    assert web.post(link, {"csrf": rig.csrf_of(page), "action": "delete"})[0] == 503
    os.unlink(os.path.join(store_dir, "down"))
    with open(os.path.join(store_dir, "E1.entry")) as f:
        assert "to a@example.com" in f.read()


def test_actions_are_rate_limited_per_client(postfix, smtp_sink, start_qmilter, smtp, setup):
    s = setup(extra_global={"web_post_limit": 3})
    web = s.start_web()
    fake = "/m/" + "A" * 60
    statuses = [web.post(fake, {"csrf": "x", "action": "release"})[0] for _ in range(5)]
    assert statuses[:3] == [403, 403, 403] and statuses[3:] == [429, 429]
    # Another client address (through a local proxy's X-Forwarded-For) has its own budget.
    assert web.post(fake, {"csrf": "x", "action": "release"}, {"X-Forwarded-For": "192.0.2.7"})[0] == 403
    # Pages stay readable.
    assert web.get(fake)[0] == 403


def test_oversize_and_slow_requests_are_cut_off(smtp_sink, setup):
    s = setup(extra_global={"web_client_timeout": 2})
    web = s.start_web()
    fake = "/m/" + "A" * 60
    status, _, _ = web.request("POST", fake, b"csrf=" + b"x" * 20000,
                               {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 413
    status, _, _ = web.request("GET", "/healthz", headers={"X-Big": "y" * 40000})
    assert status in (413, 431)
    # A client that opens a connection and sends half a request line is closed.
    with socket.create_connection(("127.0.0.1", s.port), timeout=10) as slow:
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        assert slow.recv(1024) == b""
        assert time.monotonic() - started < 8
    assert web.get("/healthz")[0] == 200


def test_sighup_reloads_and_a_bad_configuration_is_refused(postfix, smtp_sink, start_qmilter, smtp, setup):
    s = setup()
    start_qmilter(s.config)
    web = s.start_web()
    a = rig.unique_address()
    qid, links = quarantine_spam(smtp, smtp_sink, s, [a])
    assert web.get(links[a])[0] == 200
    # A new secret: every old link stops working, links made with the new one work.
    os.unlink(s.secret)
    assert rig.run_qmilterctl(["-c", s.config, "web", "secret"]).returncode == 0
    mark = web.log.mark()
    web.proc.send_signal(signal.SIGHUP)
    web.log.wait_for("configuration reloaded", since=mark)
    assert web.get(links[a])[0] == 403
    fresh = s.link(qid, a)
    assert web.get(fresh)[0] == 200
    # A broken configuration is refused; the running one keeps serving.
    s.sections["global"]["web_secret_file"] = os.path.join(s.base, "missing.secret")
    rig.write_config(s.config, s.sections)
    mark = web.log.mark()
    web.proc.send_signal(signal.SIGHUP)
    web.log.wait_for(r"reload refused, the running configuration is kept: .*missing\.secret", since=mark)
    assert web.get(fresh)[0] == 200
    assert web.running()


def test_configuration_checks(smtp_sink, setup):
    s = setup()
    assert rig.run_web(["-c", s.config, "-t"]).returncode == 0
    os.chmod(s.secret, 0o644)
    checked = rig.run_web(["-c", s.config, "-t"])
    assert checked.returncode == 1 and "mode 0644" in checked.stderr and "chmod 0600" in checked.stderr
    checked = rig.run_qmilter(["-c", s.config, "-t"])
    assert checked.returncode == 1 and "web_secret_file" in checked.stderr
    os.chmod(s.secret, 0o600)
    with open(s.secret, "w") as f:
        f.write("short")
    checked = rig.run_web(["-c", s.config, "-t"])
    assert checked.returncode == 1 and "holds 5 bytes" in checked.stderr
    os.unlink(s.secret)
    checked = rig.run_web(["-c", s.config, "-t"])
    assert checked.returncode == 1 and "qmilterctl web secret" in checked.stderr
    assert rig.run_qmilterctl(["-c", s.config, "web", "secret"]).returncode == 0
    assert rig.run_web(["-c", s.config, "-t"]).returncode == 0

    for listen, why in (("localhost:8025", "numeric"), ("127.0.0.1", "no port"), ("127.0.0.1:0", "port"),
                        ("[::1:8025", "not a numeric IPv4")):
        s.sections["global"]["web_listen"] = listen
        rig.write_config(s.config, s.sections)
        checked = rig.run_web(["-c", s.config, "-t"])
        assert checked.returncode == 1 and why in checked.stderr, (listen, checked.stderr)
    s.sections["global"]["web_listen"] = f"127.0.0.1:{s.port}"

    for url, why in (("ftp://x", "https://"), ("https://", "no host"), ("https://q.example/?a=1", "query"),
                     ("https://q.example/a b", "printable")):
        s.sections["global"]["web_base_url"] = url
        rig.write_config(s.config, s.sections)
        checked = rig.run_qmilter(["-c", s.config, "-t"])
        assert checked.returncode == 1 and why in checked.stderr, (url, checked.stderr)

    # The shipped template uses {EMAIL_RELEASE_URL}: without qmilter-web it cannot load.
    del s.sections["global"]["web_base_url"]
    del s.sections["global"]["web_secret_file"]
    rig.write_config(s.config, s.sections)
    checked = rig.run_qmilter(["-c", s.config, "-t"])
    assert checked.returncode == 1 and "{EMAIL_RELEASE_URL}" in checked.stderr and "web_base_url" in checked.stderr
    checked = rig.run_web(["-c", s.config, "-t"])
    assert checked.returncode == 1


def test_web_metrics_count_pages_actions_and_refused_links(postfix, smtp_sink, start_qmilter, smtp, setup):
    from prometheus_client.parser import text_string_to_metric_families
    import urllib.request
    metrics_port = rig.free_port()
    s = setup(extra_global={"web_metrics_listen": f"127.0.0.1:{metrics_port}"})
    start_qmilter(s.config)
    web = s.start_web()
    a = rig.unique_address()
    _, links = quarantine_spam(smtp, smtp_sink, s, [a])
    status, _, page = web.get(links[a])
    assert status == 200
    assert web.post(links[a], {"csrf": rig.csrf_of(page), "action": "release"})[0] == 200
    assert web.post(links[a], {"csrf": rig.csrf_of(page), "action": "release"})[0] == 410
    assert web.get(links[a][:-3] + ("AAA" if not links[a].endswith("AAA") else "BBB"))[0] == 403

    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    found = {(m.name, frozenset(m.labels.items())): m.value
             for family in text_string_to_metric_families(text) for m in family.samples}

    def count(name, **labels):
        return found.get((name, frozenset(labels.items())))
    assert count("qmilter_web_requests_total", kind="page", status="200") == 1
    assert count("qmilter_web_requests_total", kind="action", status="200") == 1
    assert count("qmilter_web_requests_total", kind="action", status="410") == 1
    assert count("qmilter_web_requests_total", kind="page", status="403") == 1
    assert count("qmilter_web_actions_total", action="release", result="done") == 1
    assert count("qmilter_web_actions_total", action="release", result="not_held") == 1
    assert count("qmilter_web_link_failures_total", kind="forged") == 1
    assert count("qmilter_config_reloads_total", result="applied") == 0
    assert "/m/" not in text and "@" not in text


def encoded_word(text):
    return "=?UTF-8?B?" + base64.b64encode(text.encode()).decode() + "?="


def test_look_alike_words_are_named_in_the_notification_and_on_the_page(
        postfix, smtp_sink, start_qmilter, smtp, setup):
    """"Amаzon" and "accоunt" with a Cyrillic а and о, in From, Subject and a link's text:
    the shipped template, its text part and the page name each word beside the field; the
    preview names it beside the link, and the Latin "Amazon" link is not flagged."""
    s = setup()
    start_qmilter(s.config)
    web = s.start_web()
    rcpt = rig.unique_address()
    cyrillic_a, cyrillic_o = "\u0430", "\u043e"
    amazon, account = f"Am{cyrillic_a}zon", f"acc{cyrillic_o}unt"
    body = (f'<p>Sign in: <a href="https://login.example/">{amazon}<b>&lt;</b></a> '
            'or <a href="https://shop.example/">Amazon</a></p>\r\n')
    message = rig.make_message(
        SPAM + [("MIME-Version", "1.0"), ("Content-Type", "text/html; charset=utf-8")],
        body=body, subject=encoded_word(f"Your {account} is locked"),
        sender=f"{encoded_word(amazon)} <support@login.example>", to=rcpt)
    assert smtp("spammer@example.org", [rcpt], message).accepted
    notification = email.message_from_bytes(smtp_sink.wait_for_message(rcpt).data, policy=email.policy.default)
    html_part = notification.get_body(preferencelist=("html",)).get_content()
    text_part = notification.get_body(preferencelist=("plain",)).get_content()

    def note(word, letter, code):
        return f"\u26a0 possible look-alike: \"{word}\" has Cyrillic {letter} (U+{code}) among Latin letters"

    from_note, subject_note = note(amazon, cyrillic_a, "0430"), note(account, cyrillic_o, "043E")
    escaped_from, escaped_subject = (n.replace('"', "&quot;") for n in (from_note, subject_note))
    assert re.search("support@login\\.example&gt; <b [^>]*>" + re.escape(escaped_from) + "</b>", html_part), html_part
    assert re.search("is locked <b [^>]*>" + re.escape(escaped_subject) + "</b>", html_part), html_part
    assert from_note in text_part and subject_note in text_part, text_part
    preview = html_part.split("Preview of the original message", 1)[1]
    assert re.search(r"\[login\.example\]</span> <span [^>]*>\[" + re.escape(escaped_from) + r"\]</span>",
                     preview), preview
    assert preview.count("possible look-alike") == 1, preview
    assert f"[{from_note}]" in text_part.split("Preview of the original message", 1)[1], text_part

    status, _, page = web.get(rig.links_in(html_part)[0])
    assert status == 200
    assert re.search(r"<td>" + re.escape(amazon) + " &lt;support@login\\.example&gt; <b class=\"lookalike\">" +
                     re.escape(escaped_from) + "</b></td>", page), page
    assert f'<b class="lookalike">{escaped_subject}</b>' in page
    assert f"[{escaped_from}]" in page.split("<h2>Preview</h2>", 1)[1]


def test_the_page_lists_the_attachments_escaped_also_when_cached(postfix, smtp_sink, start_qmilter, smtp, setup):
    s = setup()
    start_qmilter(s.config)
    web = s.start_web()
    rcpt = rig.unique_address()
    pdf = b"%PDF-1.4\n" + b"x" * 2039  # 2 KiB after base64 decoding
    body = ("--mixed\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the statement.\r\n"
            "--mixed\r\nContent-Type: application/pdf; name=\"<i>Statement</i>.pdf\"\r\n"
            "Content-Disposition: attachment; filename=\"<i>Statement</i>.pdf\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(pdf).decode() + "--mixed--\r\n")
    message = rig.make_message(
        SPAM + [("MIME-Version", "1.0"), ("Content-Type", "multipart/mixed; boundary=\"mixed\"")],
        body=body, subject="Your statement", to=rcpt)
    assert smtp("spammer@example.org", [rcpt], message).accepted
    link = rig.links_in(notification_html(smtp_sink.wait_for_message(rcpt)))[0]
    listed = "<h2>Attachments</h2>\n<ul><li>&lt;i&gt;Statement&lt;/i&gt;.pdf (application/pdf, 2.0 KiB)</li></ul>"
    for fetch in ("first", "from the preview cache"):
        status, _, page = web.get(link)
        assert status == 200, fetch
        assert listed in page, (fetch, page)
        assert "<i>Statement" not in page, fetch
        assert "See the statement." in page, fetch

    # Past the 4 MiB qmilter-web reads, the list says it may be short.
    big = rig.unique_address()
    body = ("--mixed\r\nContent-Type: text/plain\r\n\r\nBig.\r\n"
            "--mixed\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=big.bin\r\n"
            "\r\n" + ("x" * 998 + "\r\n") * 4500 +
            "--mixed\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=after.pdf\r\n"
            "\r\n%PDF\r\n--mixed--\r\n")
    message = rig.make_message(
        SPAM + [("MIME-Version", "1.0"), ("Content-Type", "multipart/mixed; boundary=\"mixed\"")],
        body=body, subject="Big", to=big)
    assert smtp("spammer@example.org", [big], message).accepted
    page = web.get(rig.links_in(notification_html(smtp_sink.wait_for_message(big)))[0])[2]
    assert "big.bin (application/octet-stream" in page and "after.pdf" not in page
    assert "Only the first 4 MiB of the message were read: attachments after them are not listed." in page

    # A message without attachments says so.
    other = rig.unique_address()
    _, links = quarantine_spam(smtp, smtp_sink, s, [other], subject="No attachments")
    assert "<h2>Attachments</h2>\n<p><i>none</i></p>" in web.get(links[other])[2]
