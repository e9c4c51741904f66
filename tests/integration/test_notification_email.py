"""EMAIL notifications end to end.

A real Postfix hands a spam message for two recipients to qmilter; the FILE store keeps
it, the email notifier queues one notification per recipient in its outbox and its sender
thread delivers them to a real smtp-sink. The notifications are read back with Python's
email package: structure, Content-IDs, every template variable (regex groups 0..n and
named ones), escaping of a hostile From/Subject, and the sanitized preview.
"""

import base64
import email
import email.header
import email.policy
import html
import os
import re
import shutil
import subprocess
import urllib.parse

import pytest

import rig

NOTIFY_FROM = "notify@rig.test"
REGEX = (r"^X-Spam-Report: (?P<verdict>\w+) score=(?P<score>[\d.]+)"
         r"(?: (never-there))?(?: (tags=\S+))?")
REPORT = "SPAM score=12.5 tags=A<B"

# Every variable between markers, so the test can read each one back exactly.
TEMPLATE = """<html><body>
<p>ENVELOPE_FROM=[{EMAIL_ENVELOPE_FROM}]</p>
<p>FROM=[{EMAIL_FROM}]</p>
<p>TO=[{EMAIL_TO}]</p>
<p>SUBJECT=[{EMAIL_SUBJECT}]</p>
<p>QUARANTINE_ID=[{EMAIL_QUARANTINE_ID}]</p>
<p>SUBGROUP_0=[{SUBGROUP_0}]</p>
<p>SUBGROUP_1=[{SUBGROUP_1}]</p>
<p>SUBGROUP_2=[{SUBGROUP_2}]</p>
<p>SUBGROUP_3=[{SUBGROUP_3}]</p>
<p>SUBGROUP_4=[{SUBGROUP_4}]</p>
<p>verdict=[{verdict}]</p>
<p>score=[{score}]</p>
<p>UNKNOWN=[{NO_SUCH_VARIABLE}]</p>
<p>TO_URL=[{EMAIL_TO_URL}]</p>
<p>ENVELOPE_FROM_URL=[{EMAIL_ENVELOPE_FROM_URL}]</p>
<p>BRACES=[{{literal}}]</p>
<p>DATE=[{EMAIL_DATE}]</p>
<p>MATCH=[{EMAIL_MATCH}]</p>
<p>ATTACHMENTS=[{EMAIL_ATTACHMENTS}]</p>
<img src="cid:logo.png" alt="logo">
<div id="preview">{EMAIL_HTML_TEXT}</div>
</body></html>
"""

HOSTILE_FROM = "\"<script>alert('from')</script>\" <evil@example.org>"
HOSTILE_SUBJECT = "<img src=x onerror=alert(1)> & =?UTF-8?B?w6TDtsO8?="
ORIGINAL_HTML = ("<html><head><script>alert('head')</script></head><body>"
                 "<p onclick=\"alert(2)\">Hello <b>preview</b> text</p>"
                 "<img src=\"http://tracker.example/pixel.png\">"
                 "<a href=\"javascript:alert(3)\">click</a></body></html>")


def spam_message(rcpts):
    boundary = "b-0123456789"
    body = (f"--mixed\r\nContent-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n"
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain version\r\n"
            f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{ORIGINAL_HTML}\r\n"
            f"--{boundary}--\r\n"
            "--mixed\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"<b>Statement.pdf\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--mixed--\r\n")
    return rig.make_message(
        [("X-Spam-Report", REPORT), ("MIME-Version", "1.0"),
         ("Content-Type", "multipart/mixed; boundary=\"mixed\"")],
        body=body, subject=HOSTILE_SUBJECT, sender=HOSTILE_FROM, to=", ".join(rcpts))


@pytest.fixture
def email_setup(rig_dir, smtp_sink, request):
    base = os.path.join(rig_dir, request.node.name)
    os.makedirs(base)
    qdir = os.path.join(base, "quarantine")
    os.makedirs(qdir)
    with open(os.path.join(base, "notification.template"), "w") as f:
        f.write(TEMPLATE)
    source = rig.source_dir()
    shutil.copy(os.path.join(source, "templates", "removed.png"), os.path.join(base, "removed.png"))
    shutil.copy(os.path.join(source, "templates", "removed.png"), os.path.join(base, "logo.png"))
    config = rig.simple_config({"spam": rig.quarantine_section(
        REGEX, "discard",
        quarantine_type="file", quarantine_directory=qdir,
        notification_type="email",
        smtp_host="127.0.0.1", smtp_port=1,  # the release relay; notifications use their own
        notification_email_smtp_host=smtp_sink.host,
        notification_email_smtp_port=smtp_sink.port,
        notification_email_envelope_from=NOTIFY_FROM,
        notification_email_from=f"Quarantäne <{NOTIFY_FROM}>",
        notification_email_subject="Quarantined: {EMAIL_SUBJECT} [{score}]",
        notification_email_template=os.path.join(base, "notification.template"),
        notification_email_replacement_img=os.path.join(base, "removed.png"),
        notification_email_embedded_imgs=os.path.join(base, "logo.png"),
    )}, state_dir=os.path.join(base, "state"))
    return {"base": base, "qdir": qdir, "config": config,
            "outbox": os.path.join(base, "state", "outbox", "spam")}


def related_parts(msg):
    """The HTML and its images: the second alternative, after the text part."""
    assert msg.get_content_type() == "multipart/alternative"
    related = list(msg.iter_parts())[1]
    assert related.get_content_type() == "multipart/related"
    return list(related.iter_parts())


def variable(body, name):
    m = re.search(rf"<p>{re.escape(name)}=\[(.*?)\]</p>", body, re.DOTALL)
    assert m, f"{name} not found in the notification:\n{body}"
    return m.group(1)


def test_two_recipients_get_one_notification_each_with_every_variable(
        postfix, smtp_sink, start_qmilter, smtp, qmilter_config, email_setup):
    config_path = qmilter_config(email_setup["config"], "notify.conf")
    start_qmilter(config_path)
    rcpts = [rig.unique_address("alice"), rig.unique_address("bob+tag")]
    result = smtp("Sender@Example.ORG", rcpts, spam_message(rcpts))
    assert result.accepted, result
    stored = [n for n in os.listdir(email_setup["qdir"]) if not n.endswith(".metadata")]
    assert len(stored) == 1, stored
    quarantine_id = stored[0]

    for rcpt in rcpts:
        delivered = smtp_sink.wait_for_message(rcpt)
        assert delivered.mail_from == NOTIFY_FROM
        assert delivered.recipients == [rcpt]
        msg = email.message_from_bytes(delivered.data, policy=email.policy.default)

        # Headers: RFC 2047 where needed, never the original's markup turned into headers.
        assert msg["To"] == rcpt
        assert msg["From"].addresses[0].display_name == "Quarantäne"
        assert msg["From"].addresses[0].addr_spec == NOTIFY_FROM
        assert str(msg["Subject"]) == "Quarantined: <img src=x onerror=alert(1)> & äöü [12.5]"
        assert "=?UTF-8?B?" in delivered.header("Subject")
        assert msg["Date"] and msg["Message-ID"] and msg["MIME-Version"] == "1.0"
        assert msg["Auto-Submitted"] == "auto-generated"

        # Structure: multipart/alternative = text, (multipart/related = html, replacement
        # image, embedded image).
        assert msg.get_content_type() == "multipart/alternative"
        text_part, related = msg.iter_parts()
        assert text_part.get_content_type() == "text/plain"
        assert text_part.get_content_charset() == "utf-8"
        assert related.get_content_type() == "multipart/related"
        parts = list(related.iter_parts())
        assert [p.get_content_type() for p in parts] == ["text/html", "image/png", "image/png"]
        assert parts[0].get_content_charset() == "utf-8"
        assert parts[0]["Content-Transfer-Encoding"] in ("quoted-printable", "base64")
        assert [p["Content-ID"] for p in parts[1:]] == ["<removed_for_security_reasons>", "<logo.png>"]
        with open(os.path.join(rig.source_dir(), "templates", "removed.png"), "rb") as f:
            assert parts[1].get_content() == f.read()

        body = parts[0].get_content()
        assert variable(body, "ENVELOPE_FROM") == "sender@example.org"
        assert variable(body, "FROM") == html.escape(HOSTILE_FROM, quote=True).replace("&#x27;", "&#39;")
        assert variable(body, "TO") == rcpt
        assert variable(body, "SUBJECT") == "&lt;img src=x onerror=alert(1)&gt; &amp; äöü"
        assert variable(body, "QUARANTINE_ID") == quarantine_id
        assert [variable(body, f"SUBGROUP_{i}") for i in range(5)] == \
            ["SPAM", "12.5", "", "tags=A&lt;B", ""]
        assert variable(body, "verdict") == "SPAM"
        assert variable(body, "score") == "12.5"
        assert variable(body, "UNKNOWN") == ""
        assert variable(body, "TO_URL") == urllib.parse.quote(rcpt, safe="")
        assert variable(body, "ENVELOPE_FROM_URL") == "sender%40example.org"
        assert "<p>BRACES=[{literal}]</p>" in body

        # The preview: the html part, sanitized; the tracker replaced by the cid image.
        preview = re.search(r'<div id="preview">(.*)</div>', body, re.DOTALL).group(1)
        assert "preview" in preview and "Hello" in preview
        assert "plain version" not in preview
        for bad in ("<script", "alert(", "onclick", "tracker.example"):
            assert bad not in preview.lower(), (bad, preview)
        # The link goes nowhere; where it would have gone is plain text after it.
        assert re.search(r'<a href="#">click</a> <span style="[^"]*">\[javascript:\]</span>', preview), preview
        assert variable(body, "DATE") == "Tue, 24 Nov 2026 12:00:00 +0000"
        assert variable(body, "MATCH") == html.escape("X-Spam-Report: " + REPORT, quote=True)
        assert variable(body, "ATTACHMENTS") == "<ul><li>&lt;b&gt;Statement.pdf (application/pdf, 9 bytes)</li></ul>"
        assert "cid:removed_for_security_reasons" in preview

        # The text part: the same notification as a text-only client shows it.
        text = text_part.get_content()
        assert "SUBJECT=[<img src=x onerror=alert(1)> & äöü]" in text
        assert "FROM=[" + HOSTILE_FROM + "]" in text  # text/plain: nothing to escape
        preview_text = text.split("[logo]", 1)[1]  # the template's image, then the preview
        assert "Hello preview text" in preview_text and "click [javascript:]" in preview_text
        for bad in ("plain version", "<script", "alert(", "tracker.example", "&lt;"):
            assert bad not in preview_text, (bad, text)
        # Outside the preview, nothing from the original is live markup.
        assert "<script" not in body.lower()

    # Each recipient got exactly one, and the outbox is empty again.
    rig.wait_until(lambda: os.listdir(email_setup["outbox"]) == ["failed"], "outbox emptied")
    for rcpt in rcpts:
        assert len(smtp_sink.messages_to(rcpt)) == 1


def test_no_image_replaced_means_no_replacement_part_and_plain_text_preview(
        postfix, smtp_sink, start_qmilter, smtp, qmilter_config, email_setup):
    start_qmilter(qmilter_config(email_setup["config"], "notify-plain.conf"))
    rcpt = rig.unique_address()
    message = rig.make_message([("X-Spam-Report", "SPAM score=3")],
                               body="first <line>\r\nsecond & last\r\n", to=rcpt)
    assert smtp("sender@example.org", [rcpt], message).accepted
    msg = email.message_from_bytes(smtp_sink.wait_for_message(rcpt).data, policy=email.policy.default)
    parts = related_parts(msg)
    assert [p["Content-ID"] for p in parts[1:]] == ["<logo.png>"]
    body = parts[0].get_content()
    preview = re.search(r'<div id="preview">(.*)</div>', body, re.DOTALL).group(1)
    assert "first &lt;line&gt;<br" in preview and "second &amp; last" in preview
    assert variable(body, "SUBGROUP_3") == ""
    assert str(msg["Subject"]) == "Quarantined: test [3]"


def test_config_check_names_a_broken_template(rig_dir, qmilter_config, email_setup):
    with open(os.path.join(email_setup["base"], "notification.template"), "w") as f:
        f.write("<p>\n{EMAIL_TO</p>\n")
    path = qmilter_config(email_setup["config"], "broken.conf")
    proc = rig.run_qmilter(["-t", "-c", path])
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "notification_email_template" in output, output
    assert "notification.template: line 2, column 1: expected '}' before end of string" in output, output


def test_qmilterctl_notify_delivers_before_it_returns(
        postfix, smtp_sink, start_qmilter, smtp, qmilter_config, email_setup):
    """Role admin: `qmilterctl quarantine NAME notify ID` sends synchronously (holding the
    outbox file's lock, so the daemon's sender cannot send it too) and tells the result."""
    config_path = qmilter_config(email_setup["config"], "notify-cli.conf")
    start_qmilter(config_path)
    rcpt = rig.unique_address()
    assert smtp("sender@example.org", [rcpt], spam_message([rcpt])).accepted
    smtp_sink.wait_for_message(rcpt)
    [quarantine_id] = [n for n in os.listdir(email_setup["qdir"]) if not n.endswith(".metadata")]

    ctl = subprocess.run([os.path.join(rig.build_dir(), "bin", "qmilterctl"), "-c", config_path,
                          "quarantine", "spam", "notify", quarantine_id, "-a"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    assert ctl.returncode == 0, ctl.stderr
    # Synchronous: the second notification is at the relay when qmilterctl returns.
    again = smtp_sink.messages_to(rcpt)
    assert len(again) == 2, smtp_sink.describe()
    msg = email.message_from_bytes(again[1].data, policy=email.policy.default)
    body = related_parts(msg)[0].get_content()
    assert variable(body, "QUARANTINE_ID") == quarantine_id
    assert variable(body, "SUBGROUP_3") == "tags=A&lt;B"
    assert "preview" in body
    assert os.listdir(email_setup["outbox"]) == ["failed"]


def test_strip_images_removes_them_and_attaches_no_replacement(
        postfix, smtp_sink, start_qmilter, smtp, qmilter_config, email_setup):
    config = email_setup["config"]
    config["spam"]["notification_email_strip_images"] = True
    start_qmilter(qmilter_config(config, "notify-strip.conf"))
    rcpt = rig.unique_address()
    assert smtp("sender@example.org", [rcpt], spam_message([rcpt])).accepted
    msg = email.message_from_bytes(smtp_sink.wait_for_message(rcpt).data, policy=email.policy.default)
    parts = related_parts(msg)
    assert [p["Content-ID"] for p in parts[1:]] == ["<logo.png>"]
    body = parts[0].get_content()
    preview = re.search(r'<div id="preview">(.*)</div>', body, re.DOTALL).group(1)
    assert "Hello" in preview
    assert "<img" not in preview and "removed_for_security_reasons" not in preview


def _header_lines(data):
    return data.split(b"\n\n", 1)[0].split(b"\n")


@pytest.mark.parametrize("original_from", [
    '"' + ", ".join(["Very Important Sender"] * 30) + '" <boss@example.org>',  # must be quoted, 689 characters
    "Very" + "x" * 900 + " <boss@example.org>",                              # one 904-character atom
], ids=["quoted", "unquoted"])
def test_a_long_original_from_name_is_folded_and_cut_not_a_tempfail(
        postfix, smtp_sink, start_qmilter, smtp, qmilter_config, email_setup, original_from):
    config = email_setup["config"]
    config["spam"]["notification_email_from"] = "{EMAIL_FROM}"
    start_qmilter(qmilter_config(config, "notify-long-from.conf"))
    rcpt = rig.unique_address()
    message = rig.make_message([("X-Spam-Report", "SPAM score=4")], sender=original_from, to=rcpt)
    result = smtp("sender@example.org", [rcpt], message)
    assert result.accepted, result  # it used to get TEMPFAIL on every retry
    delivered = smtp_sink.wait_for_message(rcpt)
    for line in _header_lines(delivered.data):
        assert len(line) <= 78, line
        for word in re.findall(rb"=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=", line):
            assert len(word) <= 75, word
    # RFC 2047 decoding by the book: white space between adjacent encoded words is not text
    # (email.policy.default's address parser keeps it).
    raw_from = delivered.header("From")
    decoded = str(email.header.make_header(email.header.decode_header(raw_from)))
    name, address = decoded.rsplit(" <", 1)
    assert address == "boss@example.org>"
    original_name = original_from.rsplit(" <", 1)[0].strip('"')
    assert name.endswith("…") and original_name.startswith(name[:-1]), name
    assert 100 < len(name.encode()) <= 256


def test_a_nul_in_an_encoded_word_is_replaced_not_cut_at(
        postfix, smtp_sink, start_qmilter, smtp, qmilter_config, email_setup):
    start_qmilter(qmilter_config(email_setup["config"], "notify-nul.conf"))
    rcpt = rig.unique_address()
    subject = "=?UTF-8?B?" + base64.b64encode(b"before\x00after").decode() + "?= and the rest"
    sender = "=?UTF-8?Q?Eve=00Mallory?= <eve@example.org>"
    message = rig.make_message([("X-Spam-Report", "SPAM score=3")], subject=subject, sender=sender, to=rcpt)
    assert smtp("sender@example.org", [rcpt], message).accepted
    msg = email.message_from_bytes(smtp_sink.wait_for_message(rcpt).data, policy=email.policy.default)
    assert str(msg["Subject"]) == "Quarantined: before\ufffdafter and the rest [3]"
    body = related_parts(msg)[0].get_content()
    assert variable(body, "SUBJECT") == "before\ufffdafter and the rest"
    assert variable(body, "FROM") == "Eve\ufffdMallory &lt;eve@example.org&gt;"
