"""The email notifier's durable outbox.

notify() only writes each notification crash-safely into the outbox; a sender thread
delivers it. So a dead or hanging relay never slows the milter's answer, a notification
waits in the outbox until the relay is back, a daemon killed with queued notifications
delivers them after its restart (exactly once per recipient), a clean stop waits for a
notification the relay has not answered yet (so the next start does not send it again), a
message for many recipients is queued with its preview once, and a relay's 5xx moves the
notification to failed/ with the reason.
"""

import email
import email.policy
import os
import shutil
import signal
import smtplib
import socket
import subprocess
import time

import pytest

import rig

NOTIFY_FROM = "notify@rig.test"
SPAM = {"X-Spam-Flag": "YES"}


def outbox_config(base, relay_port):
    qdir = os.path.join(base, "quarantine")
    os.makedirs(qdir, exist_ok=True)
    shutil.copy(os.path.join(rig.source_dir(), "templates", "notification.template"),
                os.path.join(base, "notification.template"))
    # The shipped template carries each recipient's qmilter-web link: it needs the secret.
    secret = os.path.join(base, "web.secret")
    if not os.path.exists(secret):
        with open(os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write("0123456789abcdef" * 4 + "\n")
    return rig.simple_config({"spam": rig.quarantine_section(
        r"^X-Spam-Flag: YES", "discard",
        quarantine_type="file", quarantine_directory=qdir,
        notification_type="email",
        smtp_host="127.0.0.1", smtp_port=relay_port,
        notification_email_envelope_from=NOTIFY_FROM,
        notification_email_from=NOTIFY_FROM,
        notification_email_subject="Quarantined: {EMAIL_SUBJECT}",
        notification_email_template=os.path.join(base, "notification.template"),
        notification_email_replacement_img="",
        notification_spool_dir=os.path.join(base, "outbox"),
    )}, web_base_url="https://quarantine.rig.test", web_secret_file=secret)


def queued(base):
    return sorted(n for n in os.listdir(os.path.join(base, "outbox")) if n.endswith(".msg"))


@pytest.fixture
def base(rig_dir, request):
    path = os.path.join(rig_dir, request.node.name)
    os.makedirs(path)
    return path


def test_hanging_relay_does_not_delay_the_milter_and_delivery_follows_when_it_is_up(
        postfix, start_qmilter, smtp, qmilter_config, base):
    port = rig.free_port()
    # A relay that accepts connections (the kernel completes the handshake) but never
    # says a word: a synchronous sender would hang here for its whole SMTP timeout.
    blackhole = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blackhole.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blackhole.bind(("127.0.0.1", port))
    blackhole.listen(16)
    sink = None
    try:
        start_qmilter(qmilter_config(outbox_config(base, port), "hanging.conf"))
        rcpt = rig.unique_address()
        started = time.monotonic()
        result = smtp("sender@example.org", [rcpt], rig.make_message(SPAM, subject="held", to=rcpt))
        elapsed = time.monotonic() - started
        assert result.accepted, result
        # A sender on the reply path would wait out its 30 s SMTP timeout here.
        assert elapsed < 10, f"the milter waited {elapsed:.1f} s on the relay"
        assert len([n for n in os.listdir(os.path.join(base, "quarantine"))
                    if n.endswith(".metadata")]) == 1, "the message must be quarantined"
        assert len(queued(base)) == 1, "the notification must wait in the outbox"

        # The relay comes back on the same port.
        blackhole.close()
        blackhole = None
        sink = rig.SmtpSink(os.path.join(base, "relay"), port=port).start()
        delivered = sink.wait_for_message(rcpt, timeout=60)
        assert delivered.mail_from == NOTIFY_FROM
        assert delivered.header("Subject") == "Quarantined: held"
        rig.wait_until(lambda: queued(base) == [], "outbox emptied")
        assert len(sink.messages_to(rcpt)) == 1
    finally:
        if blackhole is not None:
            blackhole.close()
        if sink is not None:
            sink.stop()


def test_notifications_queued_when_the_daemon_is_killed_go_out_after_restart_once(
        postfix, start_qmilter, smtp, qmilter_config, base):
    port = rig.free_port()  # nothing listens: every attempt is refused (temporary)
    config = qmilter_config(outbox_config(base, port), "restart.conf")
    qmilter = start_qmilter(config)
    rcpts = [rig.unique_address("a"), rig.unique_address("b")]
    assert smtp("sender@example.org", rcpts, rig.make_message(SPAM, to=rcpts[0])).accepted
    assert len(queued(base)) == 1, "one outbox file per message, whatever the recipients"
    qmilter.log.wait_for(r"attempt 1 incomplete")
    qmilter.kill()

    sink = rig.SmtpSink(os.path.join(base, "relay"), port=port).start()
    try:
        start_qmilter(config)
        for rcpt in rcpts:
            sink.wait_for_message(rcpt, timeout=30)
        rig.wait_until(lambda: queued(base) == [], "outbox emptied")
        for rcpt in rcpts:
            messages = sink.messages_to(rcpt)
            assert len(messages) == 1, sink.describe()
            assert messages[0].recipients == [rcpt]
    finally:
        sink.stop()


def test_a_relay_refusal_moves_the_notification_to_failed_with_the_reason(
        postfix, start_qmilter, smtp, qmilter_config, base):
    port = rig.free_port()
    sink = rig.SmtpSink(os.path.join(base, "relay"), port=port, extra_args=["-f", "RCPT"]).start()
    try:
        qmilter = start_qmilter(qmilter_config(outbox_config(base, port), "refused.conf"))
        rcpt = rig.unique_address()
        assert smtp("sender@example.org", [rcpt], rig.make_message(SPAM, to=rcpt)).accepted
        failed = os.path.join(base, "outbox", "failed")
        # The notification is written first, then its reason.
        reasons = rig.wait_until(lambda: [n for n in os.listdir(failed) if n.endswith(".reason")
                                          and not n.startswith(".")], "a notification in failed/")
        with open(os.path.join(failed, reasons[0])) as f:
            reason = f.read()
        assert reason.startswith(f"refused by 127.0.0.1:{port}: 5"), reason
        assert f"recipient: <{rcpt}>" in reason
        with open(os.path.join(failed, reasons[0][:-len(".reason")] + ".eml"), "rb") as f:
            assert f"To: {rcpt}".encode() in f.read()
        rig.wait_until(lambda: queued(base) == [], "outbox emptied")
        qmilter.log.wait_for(r"failed for good")
    finally:
        sink.stop()


def test_an_unwritable_outbox_makes_the_milter_tempfail(
        postfix, start_qmilter, smtp, qmilter_config, base):
    qmilter = start_qmilter(qmilter_config(outbox_config(base, rig.free_port()), "unwritable.conf"))
    outbox = os.path.join(base, "outbox")
    # Root ignores permissions: replace the outbox by a file so that writing into it fails.
    shutil.rmtree(outbox)
    with open(outbox, "w") as f:
        f.write("not a directory")
    rcpt = rig.unique_address()
    result = smtp("sender@example.org", [rcpt], rig.make_message(SPAM, to=rcpt))
    assert result.final is not None and result.final[0] == 451, result
    qmilter.log.wait_for(r"outbox: cannot open .*/outbox: Not a directory")


def test_two_configuration_generations_never_send_a_notification_twice(
        postfix, start_qmilter, smtp, qmilter_config, base):
    """After a SIGHUP the old generation lives on while a connection holds it: both
    generations' sender threads then work on the same outbox. The per-file lock makes
    each notification go out exactly once."""
    port = rig.free_port()  # relay down while the notifications are queued
    qmilter = start_qmilter(qmilter_config(outbox_config(base, port), "generations.conf"))
    rcpts = [rig.unique_address(f"r{i}") for i in range(8)]
    for rcpt in rcpts:  # eight messages: eight outbox files to compete for
        assert smtp("sender@example.org", [rcpt], rig.make_message(SPAM, to=rcpt)).accepted
    assert len(queued(base)) == len(rcpts)

    # An SMTP session through Postfix opens a milter connection that pins generation 1.
    held = smtplib.SMTP(postfix.smtpd_host, postfix.smtpd_port, timeout=60)
    sink = None
    try:
        held.ehlo("held.rig.test")
        qmilter.reload()
        # A relay that takes 1 s per DATA keeps both generations' passes over the outbox
        # running at the same time.
        sink = rig.SmtpSink(os.path.join(base, "relay"), port=port, extra_args=["-w", "1"]).start()
        for rcpt in rcpts:
            sink.wait_for_message(rcpt, timeout=60)
        rig.wait_until(lambda: queued(base) == [], "outbox emptied")
        for rcpt in rcpts:
            assert len(sink.messages_to(rcpt)) == 1, sink.describe()
    finally:
        held.close()
        if sink is not None:
            sink.stop()


@pytest.mark.parametrize("reload_first", [True, False], ids=["after-reload", "current-generation"])
def test_a_clean_stop_waits_for_a_notification_at_the_relay_so_it_is_not_sent_again(
        postfix, start_qmilter, smtp, qmilter_config, base, reload_first):
    """A relay has taken a notification's end of data but not answered yet. SIGTERM (after a
    SIGHUP, so the thread sending it belongs to a generation that is already gone) must not
    end the process before the answer and the marker: otherwise the outbox still holds the
    notification and the next start sends it a second time."""
    relay = rig.HoldingRelay().start()
    try:
        qmilter = start_qmilter(qmilter_config(outbox_config(base, relay.port), "held-reply.conf"))
        rcpt = rig.unique_address()
        assert smtp("sender@example.org", [rcpt], rig.make_message(SPAM, to=rcpt)).accepted
        rig.wait_until(lambda: relay.received, "the notification's end of data at the relay")
        if reload_first:
            qmilter.wait_no_connections()  # nothing pins generation 1: the reload ends it
            qmilter.reload()
        mark = qmilter.log.mark()
        qmilter.proc.send_signal(signal.SIGTERM)
        qmilter.log.wait_for(r"\bstopped\b", since=mark, timeout=30)
        # A daemon that does not wait for the relay's answer is gone at once; one that waits
        # is still there after this bounded wait.
        try:
            qmilter.proc.wait(3)
            exited_before_the_answer = True
        except subprocess.TimeoutExpired:
            exited_before_the_answer = False
        relay.release()
        qmilter.proc.wait(60)
        assert not exited_before_the_answer, "qmilter exited before the relay answered the end of data"
        assert qmilter.returncode == 0
        assert queued(base) == [], "the delivered notification is still queued: the next start would resend it"
        assert len(relay.message_ids()) == 1
    finally:
        relay.stop()


def _html_message(rcpts, size):
    paragraph = "<p>Dear customer, your <b>invoice</b> is attached. Lorem ipsum dolor sit amet.</p>\n"
    html = "<html><body>" + paragraph * (size // len(paragraph)) + "</body></html>\n"
    return rig.make_message([("X-Spam-Flag", "YES"), ("MIME-Version", "1.0"),
                             ("Content-Type", "text/html; charset=utf-8")],
                            body=html, to=rcpts[0])


def test_a_message_for_many_recipients_is_queued_with_its_preview_once(
        postfix, start_qmilter, smtp, qmilter_config, base):
    """The preview of a 250 KB HTML message goes into every recipient's notification; the
    outbox file must hold it once, not once per recipient."""
    port = rig.free_port()  # relay down: the file stays queued to be measured
    config = outbox_config(base, port)
    # A preview this large only with budgets raised above the defaults.
    config["spam"]["notification_email_preview_max"] = 1024 * 1024
    config["spam"]["notification_email_preview_text_max"] = 1024 * 1024
    start_qmilter(qmilter_config(config, "many.conf"))
    rcpts = [rig.unique_address(f"m{i}") for i in range(100)]
    message = _html_message(rcpts, 250 * 1024)
    assert smtp("sender@example.org", rcpts, message).accepted
    [name] = queued(base)
    size = os.path.getsize(os.path.join(base, "outbox", name))
    # One encoded preview (~1.1 x the HTML) and its text once, plus headers and template
    # text (HTML and text) per recipient.
    assert size < 2 * len(message) + len(rcpts) * 8 * 1024, f"outbox file of {size} bytes"

    # Every recipient still gets the whole notification, preview included.
    sink = rig.SmtpSink(os.path.join(base, "relay"), port=port).start()
    try:
        for rcpt in (rcpts[0], rcpts[-1]):
            delivered = sink.wait_for_message(rcpt, timeout=120)
            msg = email.message_from_bytes(delivered.data, policy=email.policy.default)
            assert msg["To"] == rcpt
            html_part = next(p for p in msg.walk() if p.get_content_type() == "text/html")
            body = html_part.get_content()
            assert body.count("your <b>invoice</b> is attached") > 2000, body[:500]
            assert rcpt in body
        rig.wait_until(lambda: queued(base) == [], "outbox emptied", timeout=180)
        for rcpt in rcpts:
            assert len(sink.messages_to(rcpt)) == 1
    finally:
        sink.stop()
