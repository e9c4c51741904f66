"""A digest's links in a real browser (Debian's chromium through puppeteer-core, as in
test_web_browser.py): three messages for u1 through the real Postfix rig, u1's digest at
smtp-sink; the first row's link releases that message, then the digest's link to u1's page
releases the other two with "Release all" and its confirmation. Each message reaches u1
exactly once; a second "Release all" releases nothing. Screenshots go to <build>/test-output/.
"""

import os
import re

import rig
from test_digest_postfix import digest_html, quarantine, rows_of, setup  # noqa: F401 (fixture)
from test_web_browser import assert_nothing_ran, drive, output_dir


def originals_to(smtp_sink, rcpt):
    return [m for m in smtp_sink.messages_to(rcpt) if m.mail_from == "spammer@example.org"]


def test_release_one_then_release_all_from_a_digest(postfix, smtp_sink, start_qmilter, smtp, setup):  # noqa: F811
    s = setup()
    start_qmilter(s.config)
    web = s.start_web()
    u1 = rig.unique_address("u1")
    for subject in ("first", "second", "third"):
        quarantine(smtp, s, [u1], subject=subject)
    s.digest()
    digest = smtp_sink.wait_for_message(u1)
    rows = rows_of(digest)
    assert len(rows) == 3
    first_link = re.search(r'href="([^"]+)"', rows[0][4]).group(1).replace("&amp;", "&")
    page_link = re.search(r'href="(http://[^"]+/u/[A-Za-z0-9_-]+)"', digest_html(digest)).group(1)

    one = drive("release", first_link, os.path.join(output_dir(), "digest-entry.png"))
    assert_nothing_ran(one["before"])
    assert one["after"]["h1"] == "Released"
    rig.wait_until(lambda: len(originals_to(smtp_sink, u1)) == 1, "the first release at smtp-sink")

    status, _, listed = web.get(page_link)
    assert status == 200
    csrf = rig.csrf_of(listed)
    screenshot = os.path.join(output_dir(), "digest-recipient-page.png")
    seen = drive("release-all", page_link, screenshot)
    assert_nothing_ran(seen["list"])
    assert seen["list"]["h1"] == "Messages held for you" and seen["list"]["rows"] == 2
    assert seen["confirm"]["h1"] == "Release all messages?" and "2 message(s)" in seen["confirm"]["text"]
    assert seen["done"]["h1"] == "Released all" and seen["done"]["active_content"] == []
    assert os.path.getsize(screenshot) > 1000
    released = rig.wait_until(lambda: originals_to(smtp_sink, u1) if len(originals_to(smtp_sink, u1)) == 3 else None,
                              "all three releases at smtp-sink")
    subjects = sorted(m.header("Subject") for m in released)
    assert subjects == ["first", "second", "third"]
    assert s.entries() == []

    # Idempotent: the same confirmation again releases nothing.
    status, _, page = web.get(page_link)
    assert status == 200 and "0 message(s)" in page
    status, _, page = web.post(page_link, {"csrf": csrf, "action": "release_all", "confirm": "yes"})
    assert status == 200 and "Nothing is held for you" in page
    marker = rig.unique_address("marker")
    assert rig.send_mail(smtp_sink.host, smtp_sink.port, "m@rig.test", [marker], rig.make_message(to=marker)).accepted
    smtp_sink.wait_for_message(marker)
    assert len(originals_to(smtp_sink, u1)) == 3
