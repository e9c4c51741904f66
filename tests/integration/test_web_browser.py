"""qmilter-web in a real browser: Debian's chromium, headless, driven by puppeteer-core
(tests/browser/drive.mjs; tests/run-all.sh installs it with npm). Mail goes through the
real Postfix rig into a FILE quarantine; the notification goes through smtp-sink.

- The link of a real notification opens its page; clicking Release shows the confirmation
  and the message arrives once. Screenshots of both pages are saved under
  <build>/test-output/.
- A few messages of the public corpus (test_notification_corpus.py) through the real
  notification path with the shipped template: each notification's HTML part, its cid:
  images resolved as a mail client does, is rendered and its screenshot kept under
  <build>/test-output/; it loads nothing else and nothing in it runs.
- Every vector of the sanitizer's XSS corpus (tests/unit/html/xss_vectors.txt) goes into a
  quarantined message's Subject, From and HTML body; in the browser no dialog opens, no
  request leaves the page, no CSP violation is reported and nothing that runs script is in
  the DOM.
"""

import base64
import email
import email.policy
import json
import os
import subprocess
import time

import pytest

import rig
from test_notification_corpus import CORPUS
from test_web import Setup, notification_html, quarantine_spam, released_to, sink_settled

BROWSER_DIR = os.path.join(rig.source_dir(), "tests", "browser")


def output_dir():
    path = os.path.join(rig.build_dir(), "test-output")
    os.makedirs(path, exist_ok=True)
    return path


def drive(*args, timeout=600):
    if not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "puppeteer-core")):
        pytest.fail("puppeteer-core is not installed: run `npm ci` in tests/browser (tests/run-all.sh does)")
    done = subprocess.run(["node", os.path.join(BROWSER_DIR, "drive.mjs"), *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def xss_vectors():
    """The corpus lines, unescaped as the C++ loader does (\\n \\r \\t \\0 \\\\ \\xHH)."""
    vectors = []
    with open(os.path.join(rig.source_dir(), "tests", "unit", "html", "xss_vectors.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            out, i = bytearray(), 0
            raw = line.encode("utf-8")
            while i < len(raw):
                c = raw[i:i + 1]
                if c == b"\\" and i + 1 < len(raw):
                    e = raw[i + 1:i + 2]
                    if e == b"x" and i + 3 < len(raw):
                        out.append(int(raw[i + 2:i + 4], 16))
                        i += 4
                        continue
                    out += {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"0": b"\0", b"\\": b"\\"}.get(e, b"\\" + e)
                    i += 2
                    continue
                out += c
                i += 1
            vectors.append(bytes(out))
    return vectors


def encoded_word(data: bytes) -> str:
    return "=?UTF-8?B?" + base64.b64encode(data).decode() + "?="


@pytest.fixture
def web_setup(rig_dir, smtp_sink):
    made = []

    def make(**kwargs):
        base = os.path.join(rig_dir, f"browser-{len(made)}-{int(time.time() * 1000)}")
        os.makedirs(base)
        made.append(Setup(base, smtp_sink, **kwargs))
        return made[-1]
    yield make
    for s in made:
        if s.web:
            s.web.stop()


def assert_nothing_ran(page):
    assert page["status"] == 200, page
    assert page["dialogs"] == [], page
    assert page["other_requests"] == [], page
    assert page["console"] == [], page
    assert page["active_content"] == [], page


def test_release_from_a_real_notification_in_the_browser(postfix, smtp_sink, start_qmilter, smtp, web_setup):
    s = web_setup()
    start_qmilter(s.config)
    s.start_web()
    a = rig.unique_address("carol")
    qid, links = quarantine_spam(smtp, smtp_sink, s, [a], subject="Your invoice",
                                 body="Please <b>pay</b> now.\r\n")
    screenshot = os.path.join(output_dir(), "qmilter-web-page.png")
    seen = drive("release", links[a], screenshot)
    assert_nothing_ran(seen["before"])
    assert seen["before"]["h1"] == "Quarantined message"
    assert seen["after"]["h1"] == "Released"
    assert a in seen["after"]["text"]
    assert seen["after"]["dialogs"] == [] and seen["after"]["console"] == []
    assert os.path.getsize(screenshot) > 1000 and os.path.getsize(screenshot.replace(".png", "-done.png")) > 1000
    print(f"screenshots: {screenshot} and {screenshot.replace('.png', '-done.png')}")
    released = rig.wait_until(lambda: released_to(smtp_sink, a), "the release at smtp-sink")
    sink_settled(smtp_sink)
    assert len(released_to(smtp_sink, a)) == 1 and released[0].recipients == [a]
    assert qid not in s.entries()


def test_no_xss_vector_runs_in_the_browser(postfix, smtp_sink, start_qmilter, smtp, web_setup):
    s = web_setup(whitelist=False)
    for key in [k for k in s.sections["spam"] if k.startswith("notification_email")]:
        del s.sections["spam"][key]
    s.sections["spam"]["notification_type"] = "none"  # links come from qmilterctl
    rig.write_config(s.config, s.sections)
    start_qmilter(s.config)
    s.start_web()
    vectors = xss_vectors()
    assert len(vectors) > 150
    rcpt = rig.unique_address("xss")
    for vector in vectors:
        text = vector.decode("utf-8", errors="replace")
        headers = [("X-Spam-Flag", "YES"), ("MIME-Version", "1.0"),
                   ("Content-Type", "text/html; charset=utf-8"), ("Content-Transfer-Encoding", "base64")]
        body = base64.encodebytes(vector).decode().replace("\n", "\r\n")
        message = rig.make_message(headers, body=body, subject=encoded_word(vector),
                                   sender=f"{encoded_word(vector)} <evil@example.org>", to=rcpt)
        assert smtp("evil@example.org", [rcpt], message).accepted, text
    ids = rig.wait_until(lambda: s.entries() if len(s.entries()) == len(vectors) else None,
                         f"{len(vectors)} quarantine entries", timeout=120)
    urls = os.path.join(s.base, "urls.txt")
    expires = int(time.time()) + 3600
    with open(urls, "w") as f:
        for qid in ids:
            f.write(f"http://127.0.0.1:{s.port}/m/{rig.make_token(s.secret, 'spam', qid, rcpt, expires)}\n")
    seen = drive("inspect", urls, output_dir())
    assert len(seen["pages"]) == len(vectors)
    for page in seen["pages"]:
        assert page["h1"] == "Quarantined message", page
        assert_nothing_ran(page)


# Plain text, an attached GIF, multipart/alternative with an image, two JPEGs: different shapes.
SCREENSHOT_CORPUS = ("msg_10.txt", "msg_13.txt", "msg_15.txt", "msg_22.txt")


def notification_as_file(notification, directory, name):
    """The HTML part as a file, its cid: images written beside it and pointed at."""
    parsed = email.message_from_bytes(notification.data, policy=email.policy.default)
    related = parsed.get_body(preferencelist=("related",))
    page = parsed.get_body(preferencelist=("html",)).get_content()
    for i, part in enumerate(p for p in related.iter_parts() if p["Content-ID"]):
        image = f"{name}-{i}.{part.get_content_subtype()}"
        with open(os.path.join(directory, image), "wb") as f:
            f.write(part.get_content())
        page = page.replace(f'"cid:{part["Content-ID"].strip("<>")}"', f'"{image}"')
    path = os.path.join(directory, f"{name}.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    return path


def test_corpus_notifications_render_in_the_browser(postfix, smtp_sink, start_qmilter, smtp, web_setup):
    s = web_setup(whitelist=False)
    start_qmilter(s.config)
    files = []
    for name in SCREENSHOT_CORPUS:
        with open(os.path.join(CORPUS, name), "rb") as f:
            raw = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        rcpt = rig.unique_address("corpus")
        assert smtp("spammer@example.org", [rcpt], b"X-Spam-Flag: YES\r\n" + raw).accepted, name
        files.append(notification_as_file(smtp_sink.wait_for_message(rcpt), output_dir(),
                                          "notification-" + name.replace(".txt", "")))
    listed = os.path.join(s.base, "files.txt")
    with open(listed, "w") as f:
        f.write("\n".join(files) + "\n")
    seen = drive("render", listed, output_dir())
    assert len(seen["pages"]) == len(files)
    for page in seen["pages"]:
        assert page["h1"] == "Quarantine notification", page
        assert page["dialogs"] == [] and page["console"] == [] and page["active_content"] == [], page
        for request in page["other_requests"]:  # only the images written beside the file
            assert request.startswith("file://" + output_dir() + "/notification-msg_"), (request, page["url"])
        assert "Preview of the original message" in page["text"] and "Attachments" in page["text"]
        assert os.path.getsize(page["screenshot"]) > 10000, page["screenshot"]
        print(f"screenshot: {page['screenshot']}")
    assert "dingusfish.gif (image/gif" in seen["pages"][1]["text"], seen["pages"][1]["text"]
