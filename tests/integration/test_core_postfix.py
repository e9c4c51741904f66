"""Mail through Postfix -> qmilter -> smtp-sink with `none` plugins.

A real Postfix (started by the rig on a free loopback port) calls qmilter on every SMTP
session and relays what it accepts to smtp-sink; the tests look at what the SMTP client
was told, what arrived at the sink, and what Postfix logged.
"""

import pytest

import rig

SPAM = {"X-Spam-Flag": "YES"}


@pytest.fixture(scope="module")
def postfix_ipv6():
    return True
VIRUS = {"X-Virus": "Eicar-Test-Signature"}


def two_quarantines(preferred):
    """spam (discard) has precedence over virus (reject)."""
    return rig.simple_config({
        "spam": rig.quarantine_section(r"^X-Spam-Flag: YES", "discard"),
        "virus": rig.quarantine_section(r"^X-Virus: (?P<virus>\S+)", "reject",
                                        reject_reason="Virus found"),
    }, preferred=preferred)


def assert_discarded(postfix, smtp_sink, result, rcpts, mark):
    assert result.accepted, f"the client must see a discarded message as accepted: {result}"
    postfix.log.wait_for(r"milter-discard: END-OF-MESSAGE from .*: milter triggers DISCARD",
                         since=mark)
    assert postfix.queue() == [], "a discarded message must not be queued"
    for rcpt in rcpts:
        assert smtp_sink.messages_to(rcpt) == []


def test_clean_mail_is_delivered_unchanged(postfix, smtp_sink, start_qmilter, smtp):
    start_qmilter(rig.simple_config())
    rcpt = rig.unique_address()
    message = rig.make_message({"X-Spam-Flag": "NO"}, body="line one\r\n.dot line\r\n",
                               subject="clean", to=rcpt)
    result = smtp("Sender@Example.ORG", [rcpt], message)
    assert result.accepted, result
    delivered = smtp_sink.wait_for_message(rcpt)
    assert delivered.mail_from == "Sender@Example.ORG"
    assert delivered.recipients == [rcpt]
    assert delivered.header("Subject") == "clean"
    assert delivered.header("X-Spam-Flag") == "NO"
    assert delivered.body == b"line one\n.dot line\n"


def test_discard_mail_is_not_delivered_and_postfix_logs_the_discard(
        postfix, smtp_sink, start_qmilter, smtp):
    qmilter = start_qmilter(rig.simple_config())
    rcpt = rig.unique_address()
    mark = postfix.log.mark()
    result = smtp("sender@example.org", [rcpt], rig.make_message(SPAM, to=rcpt))
    assert_discarded(postfix, smtp_sink, result, [rcpt], mark)
    # The daemon's lines about a message carry Postfix's queue id.
    queue_id = postfix.log.search(r"(\w+): milter-discard", since=mark).group(1)
    qmilter.log.wait_for(queue_id)
    # The next clean message on the same daemon is delivered.
    clean_rcpt = rig.unique_address()
    assert smtp("sender@example.org", [clean_rcpt], rig.make_message(to=clean_rcpt)).accepted
    smtp_sink.wait_for_message(clean_rcpt)
    assert smtp_sink.messages_to(rcpt) == []


def test_reject_gives_the_smtp_client_554_5_7_0_and_the_reason(
        postfix, smtp_sink, start_qmilter, smtp):
    start_qmilter(rig.simple_config({"spam": rig.quarantine_section(
        action="reject", reject_reason="Spam is not welcome here")}))
    rcpt = rig.unique_address()
    result = smtp("sender@example.org", [rcpt], rig.make_message(SPAM, to=rcpt))
    assert result.final == (554, "5.7.0 Spam is not welcome here"), result
    assert postfix.queue() == []
    assert smtp_sink.messages_to(rcpt) == []


def test_reject_without_reject_reason_uses_message_rejected(postfix, start_qmilter, smtp):
    start_qmilter(rig.simple_config({"spam": rig.quarantine_section(action="reject")}))
    rcpt = rig.unique_address()
    result = smtp("sender@example.org", [rcpt], rig.make_message(SPAM, to=rcpt))
    assert result.final == (554, "5.7.0 Message rejected"), result


def test_regex_matches_case_insensitively_and_folded_headers(postfix, smtp_sink,
                                                            start_qmilter, smtp):
    start_qmilter(rig.simple_config({"spam": rig.quarantine_section(
        r"^subject: .*lottery\s+winner", "reject")}))
    rcpt = rig.unique_address()
    folded = rig.make_message(subject="You are our LOTTERY\r\n\tWinner", to=rcpt)
    assert smtp("sender@example.org", [rcpt], folded).final[0] == 554


def test_accept_action_delivers_the_matched_message(postfix, smtp_sink, start_qmilter, smtp):
    qmilter = start_qmilter(rig.simple_config({"spam": rig.quarantine_section(
        action="accept")}))
    rcpt = rig.unique_address()
    result = smtp("a@example.org", [rcpt], rig.make_message(SPAM, to=rcpt))
    assert result.accepted, result
    assert smtp_sink.wait_for_message(rcpt).header("X-Spam-Flag") == "YES"
    qmilter.log.wait_for(rf"{result.queue_id}: .*spam")


@pytest.mark.parametrize("subject,matched", [
    ("Gewinnspiel für Sie", True),
    ("GEWINNSPIEL FÜR SIE", True),   # Python's IGNORECASE folds non-ASCII letters too
    ("Gewinnspiel fur Sie", False),
])
def test_regex_matches_raw_utf8_headers(postfix, smtp_sink, start_qmilter, smtp, subject,
                                        matched):
    start_qmilter(rig.simple_config({"spam": rig.quarantine_section(
        r"^Subject: Gewinnspiel für", "reject")}))
    rcpt = rig.unique_address()
    result = smtp("a@example.org", [rcpt], rig.make_message(subject=subject, to=rcpt))
    if matched:
        assert result.final == (554, "5.7.0 Message rejected"), result
    else:
        assert result.accepted, result
        assert smtp_sink.wait_for_message(rcpt).header("Subject") == subject


def test_client_in_ignore_hosts_passes_unfiltered_and_the_next_client_is_filtered(
        postfix, smtp_sink, start_qmilter, smtp):
    start_qmilter(rig.simple_config({"spam": rig.quarantine_section(
        action="reject", ignore_hosts="10.1.0.0/16, 127.0.0.2, 2001:db8::/32")}))
    ignored_rcpt, filtered_rcpt, again_rcpt = (rig.unique_address() for _ in range(3))

    ignored = smtp("a@example.org", [ignored_rcpt], rig.make_message(SPAM, to=ignored_rcpt),
                   client_ip="127.0.0.2")
    assert ignored.accepted, ignored
    assert smtp_sink.wait_for_message(ignored_rcpt).header("X-Spam-Flag") == "YES"

    filtered = smtp("a@example.org", [filtered_rcpt], rig.make_message(SPAM, to=filtered_rcpt),
                    client_ip="127.0.0.3")
    assert filtered.final[0] == 554, filtered

    # The ignored client is still ignored (per connection, nothing shared was changed).
    again = smtp("a@example.org", [again_rcpt], rig.make_message(SPAM, to=again_rcpt),
                 client_ip="127.0.0.2")
    assert again.accepted, again
    smtp_sink.wait_for_message(again_rcpt)
    assert smtp_sink.messages_to(filtered_rcpt) == []


def test_ipv6_client_in_ignore_hosts_passes_and_ipv4_client_is_filtered(
        postfix, smtp_sink, start_qmilter, smtp):
    if not postfix.smtpd6_port:
        pytest.skip("no IPv6 loopback on this machine")
    start_qmilter(rig.simple_config({"spam": rig.quarantine_section(
        action="reject", ignore_hosts="::1/128")}))
    v6_rcpt, v4_rcpt = rig.unique_address(), rig.unique_address()
    v6 = smtp("a@example.org", [v6_rcpt], rig.make_message(SPAM, to=v6_rcpt), client_ip="::1")
    assert v6.accepted, v6
    smtp_sink.wait_for_message(v6_rcpt)
    v4 = smtp("a@example.org", [v4_rcpt], rig.make_message(SPAM, to=v4_rcpt))
    assert v4.final == (554, "5.7.0 Message rejected"), v4


def test_ignore_hosts_switches_off_only_its_own_quarantine(postfix, smtp_sink,
                                                           start_qmilter, smtp):
    config = two_quarantines("first")
    config["spam"]["ignore_hosts"] = "127.0.0.4"
    start_qmilter(config)
    rcpt = rig.unique_address()
    # spam would discard, but is off for 127.0.0.4: virus (reject) decides.
    result = smtp("a@example.org", [rcpt], rig.make_message({**SPAM, **VIRUS}, to=rcpt),
                  client_ip="127.0.0.4")
    assert result.final == (554, "5.7.0 Virus found"), result


def test_several_recipients_all_matched_follow_the_action(postfix, smtp_sink, start_qmilter,
                                                          smtp):
    start_qmilter(rig.simple_config())
    rcpts = [rig.unique_address(), rig.unique_address("other", "example.net"),
             rig.unique_address()]
    mark = postfix.log.mark()
    result = smtp("a@example.org", rcpts, rig.make_message(SPAM, to=", ".join(rcpts)))
    assert_discarded(postfix, smtp_sink, result, rcpts, mark)


@pytest.mark.parametrize("preferred", ["first", "LAST"])
def test_highest_precedence_quarantine_takes_every_recipient(postfix, smtp_sink, start_qmilter,
                                                             smtp, preferred):
    # Both match; spam (index 0) takes every recipient first, so virus gets none and
    # preferred_quarantine_action has only spam to choose from (whitelists are `none`).
    start_qmilter(two_quarantines(preferred))
    rcpts = [rig.unique_address(), rig.unique_address()]
    mark = postfix.log.mark()
    result = smtp("a@example.org", rcpts, rig.make_message({**SPAM, **VIRUS}, to=rcpts[0]))
    assert_discarded(postfix, smtp_sink, result, rcpts, mark)


def test_only_the_matching_quarantine_decides(postfix, smtp_sink, start_qmilter, smtp):
    start_qmilter(two_quarantines("first"))
    rcpt = rig.unique_address()
    result = smtp("a@example.org", [rcpt], rig.make_message(VIRUS, to=rcpt))
    assert result.final == (554, "5.7.0 Virus found"), result


def test_milter_down_means_tempfail_and_mail_is_delivered_after_it_returns(
        postfix, smtp_sink, start_qmilter, smtp):
    qmilter = start_qmilter(rig.simple_config())
    qmilter.kill()
    rcpt = rig.unique_address()
    down = smtp("a@example.org", [rcpt], rig.make_message(to=rcpt))
    assert down.final is not None and down.final[0] == 451, down
    start_qmilter(rig.simple_config())
    up = smtp("a@example.org", [rcpt], rig.make_message(to=rcpt))
    assert up.accepted, up
    smtp_sink.wait_for_message(rcpt)


def test_sigterm_ends_the_daemon_cleanly(postfix, start_qmilter, smtp, smtp_sink):
    qmilter = start_qmilter(rig.simple_config())
    rcpt = rig.unique_address()
    assert smtp("a@example.org", [rcpt], rig.make_message(to=rcpt)).accepted
    smtp_sink.wait_for_message(rcpt)
    qmilter.wait_no_connections()
    assert qmilter.stop(timeout=20) == 0, qmilter.log.tail()
