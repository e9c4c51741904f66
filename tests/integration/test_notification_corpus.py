"""Real-world messages from a public corpus through the real notification path (Postfix →
qmilter → outbox → smtp-sink): every notification shows the original's visible text, in
its HTML and in its text/plain alternative, lists its attachments and shows where each of
its links leads. The corpus comes from Debian packages (see data/README.md)."""

import email
import email.policy
import glob
import html
import os
import re
import shutil

import pytest

import rig

CORPUS = "/usr/lib/python3.11/test/test_email/data"
# Two more, with links: a newsletter full of URLs and the GTUBE spam sample.
SPAMASSASSIN_SAMPLES = ("/usr/share/doc/spamassassin/examples/sample-nonspam.txt",
                        "/usr/share/doc/spamassassin/examples/sample-spam.txt")
NOTIFY_FROM = "notify@rig.test"
# Known gaps, asserted to still be gaps so that fixing one updates this list.
KNOWN_GAPS = set()
TEMPLATE = """<html><body>
<div id="attachments">{EMAIL_ATTACHMENTS}</div>
<div id="preview">{EMAIL_HTML_TEXT}</div>
</body></html>
"""


def corpus_messages():
    paths = sorted(glob.glob(os.path.join(CORPUS, "msg_*.txt")))
    if not paths:
        pytest.fail(f"no corpus in {CORPUS}: install libpython3.11-testsuite (packaging/debian-deps.sh test)")
    for sample in SPAMASSASSIN_SAMPLES:
        if not os.path.exists(sample):
            pytest.fail(f"no {sample}: install spamassassin (packaging/debian-deps.sh test)")
    return paths + list(SPAMASSASSIN_SAMPLES)


def words(text):
    return re.findall(r"[A-Za-z]{4,}", text)


def expected_text_part(message):
    """The part qmilter previews: html before plain, the message's own before attached ones."""
    for wanted in ("text/html", "text/plain"):
        for part in message.walk():
            if part.get_content_type() == wanted and part.get_content_disposition() != "attachment":
                return part
    return None


def decoded(part):
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8", "replace")


def link_hosts(part):
    """(host, as an a element's target?) of every link in the part: href targets of HTML,
    the URLs written out in text."""
    text = decoded(part)
    found = []
    if part.get_content_type() == "text/html":
        found += [(h.lower(), True) for h in re.findall(r"""<a\s[^>]*href\s*=\s*["']?https?://([^/"'\s:>?#]+)""", text, re.I)]
        text = re.sub(r"<[^>]*>", " ", text)
    found += [(h.lower(), False) for h in re.findall(r"https?://([A-Za-z0-9.-]+)", html.unescape(text))]
    return found


def visible_words(part):
    text = decoded(part)
    if part.get_content_type() == "text/html":
        text = re.sub(r"<[^>]*>", " ", text)
    return words(html.unescape(text))[:40]


@pytest.fixture
def corpus_setup(rig_dir, smtp_sink):
    base = os.path.join(rig_dir, "corpus")
    os.makedirs(base)
    qdir = os.path.join(base, "quarantine")
    os.makedirs(qdir)
    with open(os.path.join(base, "notification.template"), "w") as f:
        f.write(TEMPLATE)
    shutil.copy(os.path.join(rig.source_dir(), "templates", "removed.png"), os.path.join(base, "removed.png"))
    config = rig.simple_config({"corpus": rig.quarantine_section(
        r"^X-Corpus: yes", "discard",
        quarantine_type="file", quarantine_directory=qdir,
        notification_type="email",
        smtp_host="127.0.0.1", smtp_port=1,
        notification_email_smtp_host=smtp_sink.host,
        notification_email_smtp_port=smtp_sink.port,
        notification_email_envelope_from=NOTIFY_FROM,
        notification_email_from=NOTIFY_FROM,
        notification_email_subject="Quarantined",
        notification_email_template=os.path.join(base, "notification.template"),
        notification_email_replacement_img=os.path.join(base, "removed.png"),
    )}, state_dir=os.path.join(base, "state"))
    return {"config": config}


def test_every_corpus_message_gets_a_notification_showing_its_text_and_attachments(
        postfix, smtp_sink, start_qmilter, smtp, qmilter_config, corpus_setup):
    start_qmilter(qmilter_config(corpus_setup["config"], "corpus.conf"))
    checked = 0
    links_checked = 0
    problems = []
    for path in corpus_messages():
        with open(path, "rb") as f:
            raw = f.read()
        original = email.message_from_bytes(raw, policy=email.policy.compat32)
        rcpt = rig.unique_address("corpus")
        data = b"X-Corpus: yes\r\n" + raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        result = smtp("sender@example.org", [rcpt], data)
        if not result.accepted:  # Postfix's own limits (e.g. a header it refuses): not ours to judge
            continue
        notification = email.message_from_bytes(smtp_sink.wait_for_message(rcpt).data, policy=email.policy.default)
        body = notification.get_body(("html",)).get_content()
        text = notification.get_body(("plain",)).get_content()  # UTF-8 decoded, or this raises
        preview = re.search(r'<div id="preview">(.*)</div>', body, re.DOTALL).group(1)
        attachments = re.search(r'<div id="attachments">(.*?)</div>', body, re.DOTALL).group(1)
        name = os.path.basename(path)

        part = expected_text_part(original)
        if part is not None and part.get_payload(decode=True):
            shown = set(words(html.unescape(re.sub(r"<[^>]*>", " ", preview))))
            missing = [w for w in visible_words(part) if w not in shown]
            if len(missing) > 2:
                problems.append((name, "text", missing[:5], preview[:300]))
            in_text = set(words(text))
            missing = [w for w in visible_words(part) if w not in in_text]
            if len(missing) > 2:
                problems.append((name, "text/plain", missing[:5], text[:300]))
            # Every link shows where it leads: a target in brackets after the link, a URL
            # written out as its own text.
            for host, is_target in link_hosts(part):
                if is_target and not re.search(r"\[(\u26a0 )?" + re.escape(host) + r"[\],]", preview):
                    problems.append((name, "link target", host, preview[:300]))
                if not is_target and (host not in html.unescape(preview) or host not in text):
                    problems.append((name, "link text", host, preview[:300]))
                links_checked += 1
        for other in original.walk():
            filename = other.get_filename()
            if filename and other.get_content_disposition() == "attachment" and not other.is_multipart():
                readable = str(email.header.make_header(email.header.decode_header(filename)))
                if html.escape(readable, quote=True) not in attachments:
                    problems.append((name, "attachment", readable, attachments))
        for href in re.findall(r'href="https?://([^/":]+)', preview):  # no live link survives
            pytest.fail(f"{name}: live link to {href}")
        checked += 1
    assert {p[:2] for p in problems} == KNOWN_GAPS, "\n".join(map(repr, problems))
    assert checked >= 40, checked
    assert links_checked >= 20, links_checked
