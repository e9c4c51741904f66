"""qmilterctl digest end to end: a real Postfix hands spam to qmilter, the FILE store keeps
it (no notifications), `qmilterctl digest` sends each recipient one digest through a real
smtp-sink, and a real qmilter-web serves the links the digest carries.

Covered: three messages for u1 and one for u2 give two digests, u1's with three rows whose
links open their pages; a second run sends nothing; a later message is the only row of the
next digest; --dry-run sends and records nothing; a quarantine not due is left alone;
hostile Subject/From values are escaped and a CR/LF never reaches a header; a recipient
that cannot be a mailbox is skipped; a relay that goes down mid-run and a kill -9 mid-run
(once the dead run's claim has expired) both end with exactly one digest per recipient; a digest template that does not parse is
a load error of qmilter -t.
"""

import base64
import email
import email.policy
import json
import os
import re
import shutil
import signal
import subprocess
import uuid

import pytest

import rig

SPAM = [("X-Spam-Flag", "YES")]
ROW = re.compile(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*</tr>",
                 re.S)


def digest_html(message) -> str:
    parsed = email.message_from_bytes(message.data, policy=email.policy.default)
    return parsed.get_body(preferencelist=("html",)).get_content()


def rows_of(message):
    return ROW.findall(digest_html(message))


class DigestSetup:
    """One test's FILE quarantine with digests on, its secret and (when started) qmilter-web."""

    def __init__(self, base, smtp_sink, relay_port=None, **digest_options):
        self.base = base
        self.qdir = os.path.join(base, "quarantine")
        os.makedirs(self.qdir)
        self.port = rig.free_port()
        self.secret = os.path.join(base, "web.secret")
        self.template = os.path.join(base, "digest.template")
        shutil.copy(os.path.join(rig.source_dir(), "templates", "digest.template"), self.template)
        section = rig.quarantine_section(
            quarantine_type="file", quarantine_directory=self.qdir,
            smtp_host="127.0.0.1", smtp_port=relay_port or smtp_sink.port,
            digest="daily", digest_template=self.template,
            digest_from="Quarantine <digest@rig.test>", digest_envelope_from="digest@rig.test",
            **digest_options)
        self.sections = rig.simple_config(
            {"spam": section}, state_dir=os.path.join(base, "state"),
            web_listen=f"127.0.0.1:{self.port}", web_base_url=f"http://127.0.0.1:{self.port}/",
            web_secret_file=self.secret)
        self.config = rig.write_config(os.path.join(base, "qmilter.conf"), self.sections)
        made = rig.run_qmilterctl(["-c", self.config, "web", "secret"])
        assert made.returncode == 0, made.stderr
        self.web = None

    def set(self, **options):
        self.sections["spam"].update(options)
        rig.write_config(self.config, self.sections)

    def start_web(self):
        self.web = rig.WebProcess(self.config, self.port, os.path.join(self.base, "web.log")).start()
        return self.web

    def entries(self):
        return sorted(n for n in os.listdir(self.qdir) if not n.endswith(".metadata") and not n.startswith("."))

    def digest(self, *args, expect=0):
        done = rig.run_qmilterctl(["-c", self.config, "digest", *args])
        assert done.returncode == expect, (done.stdout, done.stderr)
        return done

    def digest_json(self, *args, expect=0):
        return json.loads(self.digest("--json", *args, expect=expect).stdout)


@pytest.fixture
def setup(rig_dir, smtp_sink):
    made = []

    def make(**kwargs):
        base = os.path.join(rig_dir, f"digest-{uuid.uuid4().hex[:8]}")
        os.makedirs(base)
        made.append(DigestSetup(base, smtp_sink, **kwargs))
        return made[-1]
    yield make
    for s in made:
        if s.web:
            s.web.stop()


def quarantine(smtp, s, rcpts, subject="Cheap pills", sender="Spammer <spammer@example.org>"):
    before = len(s.entries())
    message = rig.make_message(SPAM, subject=subject, sender=sender, to=", ".join(rcpts))
    assert smtp("spammer@example.org", rcpts, message).accepted
    rig.wait_until(lambda: len(s.entries()) > before, "a new quarantine entry")


def digests_to(smtp_sink, rcpt):
    return [m for m in smtp_sink.messages_to(rcpt) if m.mail_from == "digest@rig.test"]


def settled(smtp_sink):
    """Everything sent to smtp-sink so far has arrived (qmilterctl returns after the relay
    answered, so a marker sent afterwards arrives after any digest)."""
    marker = rig.unique_address("marker")
    assert rig.send_mail(smtp_sink.host, smtp_sink.port, "marker@rig.test", [marker],
                         rig.make_message(to=marker)).accepted
    smtp_sink.wait_for_message(marker)


def test_one_digest_per_recipient_then_only_what_is_new(postfix, smtp_sink, start_qmilter, smtp, setup):
    s = setup()
    start_qmilter(s.config)
    web = s.start_web()
    u1, u2 = rig.unique_address("u1"), rig.unique_address("u2")
    for subject in ("first", "second", "third"):
        quarantine(smtp, s, [u1], subject=subject)
    quarantine(smtp, s, [u2], subject="only")

    planned = s.digest_json("--dry-run")
    by_rcpt = {d["recipient"]: d for d in planned["digests"]}
    assert by_rcpt[u1]["count"] == 3 and by_rcpt[u2]["count"] == 1
    settled(smtp_sink)
    assert digests_to(smtp_sink, u1) == [] and digests_to(smtp_sink, u2) == []

    sent = s.digest_json()
    assert sorted(d["recipient"] for d in sent["digests"] if d["sent"]) == sorted([u1, u2])
    first = smtp_sink.wait_for_message(u1)
    assert first.mail_from == "digest@rig.test" and first.recipients == [u1]
    assert first.header("Auto-Submitted") == "auto-generated"
    assert "multipart/alternative" in first.header("Content-Type")
    assert first.header("To") == u1 and "3 messages" in first.header("Subject")
    rows = rows_of(first)
    assert [r[2] for r in rows] == ["third", "second", "first"]  # newest first
    assert all(r[3] == "spam" for r in rows)
    for row in rows:
        link = re.search(r'href="([^"]+)"', row[4]).group(1).replace("&amp;", "&")
        status, _, page = web.get(link)
        assert status == 200 and "Quarantined message" in page
    html = digest_html(first)
    page_link = re.search(r'href="(http://[^"]+/u/[A-Za-z0-9_-]+)"', html).group(1)
    status, _, page = web.get(page_link)
    assert status == 200 and page.count("<tr>") >= 3
    assert len(rows_of(smtp_sink.wait_for_message(u2))) == 1

    s.digest("--force")
    s.digest()  # not due: the daily period has not passed
    settled(smtp_sink)
    assert len(digests_to(smtp_sink, u1)) == 1 and len(digests_to(smtp_sink, u2)) == 1

    quarantine(smtp, s, [u1], subject="fourth")
    s.digest("--force")
    latest = smtp_sink.wait_for_message(u1, count=2)
    assert [r[2] for r in rows_of(latest)] == ["fourth"]
    settled(smtp_sink)
    assert len(digests_to(smtp_sink, u2)) == 1


def test_hostile_values_are_escaped_and_stay_out_of_headers(postfix, smtp_sink, start_qmilter, smtp, setup):
    s = setup()
    start_qmilter(s.config)
    rcpt = rig.unique_address("victim")
    evil = "<script>alert(1)</script>\r\nX-Injected: yes"
    subject = "=?UTF-8?B?" + base64.b64encode(evil.encode()).decode() + "?="
    quarantine(smtp, s, [rcpt], subject=subject, sender='"<img src=x onerror=alert(2)>" <evil@example.org>')
    s.digest()
    digest = smtp_sink.wait_for_message(rcpt)
    assert "X-Injected" not in digest.headers
    html = digest_html(digest)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(2)&gt;" in html


def test_a_recipient_that_cannot_be_a_mailbox_is_skipped(postfix, smtp_sink, start_qmilter, smtp, setup):
    s = setup()
    start_qmilter(s.config)
    good = rig.unique_address("good")
    quarantine(smtp, s, [good, "bad-without-domain"])
    done = s.digest_json()
    assert done["skipped"] == ["bad-without-domain"]
    assert [d["recipient"] for d in done["digests"]] == [good]
    smtp_sink.wait_for_message(good)


def test_relay_down_mid_run_leaves_the_rest_for_the_next_run(postfix, smtp_sink, start_qmilter, smtp, setup):
    relay = rig.HoldingRelay(answer_first=2, then_fail=True).start()
    try:
        s = setup(relay_port=relay.port)
        start_qmilter(s.config)
        rcpts = [rig.unique_address(f"r{i}") for i in range(5)]
        quarantine(smtp, s, rcpts)
        failed = s.digest_json(expect=1)
        assert sum(d["sent"] for d in failed["digests"]) == 2
        s.set(smtp_port=smtp_sink.port)
        s.digest("--force")
        settled(smtp_sink)
        at_relay = [m for m in relay.accepted]
        for rcpt in rcpts:
            got = len([m for m in at_relay if f"To: {rcpt}".encode() in m]) + len(digests_to(smtp_sink, rcpt))
            assert got == 1, rcpt
    finally:
        relay.stop()


def test_kill_9_mid_run_repeats_nothing_and_skips_nothing(postfix, smtp_sink, start_qmilter, smtp, setup):
    relay = rig.HoldingRelay(answer_first=2).start()
    try:
        s = setup(relay_port=relay.port)
        start_qmilter(s.config)
        rcpts = [rig.unique_address(f"k{i}") for i in range(5)]
        quarantine(smtp, s, rcpts)
        run = subprocess.Popen([os.path.join(rig.build_dir(), "bin", "qmilterctl"), "-c", s.config, "digest"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # The third digest is at the relay, unanswered: kill the run there.
        rig.wait_until(lambda: len(relay.received) == 3, "the third digest at the holding relay")
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
        # What the relay answered before the kill; stop() below would answer the held one to
        # a closed connection, which delivers nothing.
        accepted = list(relay.accepted)
    finally:
        relay.stop()
    assert len(accepted) == 2
    s.set(smtp_port=smtp_sink.port)
    s.digest("--force")
    settled(smtp_sink)
    # The killed run's claim on the held recipient lives on: that one is left alone...
    held = [r for r in rcpts if not [m for m in accepted if f"To: {r}".encode() in m] and not digests_to(smtp_sink, r)]
    assert len(held) == 1, held
    # ...until the claim's lifetime (15 minutes) is over, moved back here as time would.
    notes = os.path.join(s.qdir, ".notes")
    for name in os.listdir(notes):
        path = os.path.join(notes, name)
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(re.sub(r"^claim ([0-9a-f]+) \d+$", r"claim \1 1000", text, flags=re.M))
    s.digest("--force")
    s.digest("--force")
    settled(smtp_sink)
    for rcpt in rcpts:
        got = len([m for m in accepted if f"To: {rcpt}".encode() in m]) + len(digests_to(smtp_sink, rcpt))
        assert got == 1, rcpt


def test_two_runs_at_once_send_each_digest_once(postfix, smtp_sink, start_qmilter, smtp, setup):
    s = setup()
    start_qmilter(s.config)
    rcpts = [rig.unique_address(f"c{i}") for i in range(4)]
    quarantine(smtp, s, rcpts)
    argv = [os.path.join(rig.build_dir(), "bin", "qmilterctl"), "-c", s.config, "digest", "--force"]
    runs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    for run in runs:
        assert run.wait(timeout=120) == 0
    settled(smtp_sink)
    for rcpt in rcpts:
        assert len(digests_to(smtp_sink, rcpt)) == 1, rcpt


def test_a_digest_template_that_does_not_parse_is_a_load_error(smtp_sink, setup):
    s = setup()
    with open(s.template, "w") as f:
        f.write("<p>{DIGEST_ROWS</p>\n")
    checked = rig.run_qmilter(["-t", "-c", s.config])
    assert checked.returncode != 0
    assert "digest_template" in checked.stderr and s.template in checked.stderr
    s.set(digest="sometimes")
    checked = rig.run_qmilter(["-t", "-c", s.config])
    assert checked.returncode != 0 and "digest" in checked.stderr
