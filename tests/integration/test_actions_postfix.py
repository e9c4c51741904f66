"""The hold, tempfail and tag actions through a real Postfix: `hold` puts the matched message
into Postfix's hold queue (postqueue shows it held; postsuper -H releases it
and it reaches smtp-sink with every recipient); `tempfail` gives the SMTP client the
configured 4xx reply while the quarantine keeps its copy; `tag` delivers the message with its
headers and Subject prefix (readable whatever the encodings); bad options are load errors."""

import email.header
import os

import rig

SPAM = [("X-Spam-Flag", "YES")]


def spam(rcpts, subject="held"):
    return rig.make_message(SPAM, subject=subject, to=", ".join(rcpts))


def test_hold_puts_the_message_in_the_hold_queue_and_postsuper_releases_it(
        postfix, smtp_sink, start_qmilter, smtp):
    start_qmilter(rig.simple_config({"spam": rig.quarantine_section(action="hold", hold_reason="spam, look at it")}))
    a, b = rig.unique_address(), rig.unique_address()
    mark = postfix.log.mark()
    assert smtp("sender@example.org", [a, b], spam([a, b])).accepted
    held = rig.wait_until(lambda: postfix.queue_ids("hold"), "a message in the hold queue")
    assert len(held) == 1
    queued = [q for q in postfix.queue() if q["queue_id"] == held[0]][0]
    assert sorted(r["address"] for r in queued["recipients"]) == sorted([a, b])
    # Postfix logs the hold, not the reason (Sendmail shows the reason in mailq).
    postfix.log.wait_for(rf"{held[0]}: milter-hold: END-OF-MESSAGE", since=mark)
    assert smtp_sink.messages_to(a) == []

    postfix.postsuper("-H", held[0])
    postfix.flush()
    delivered = smtp_sink.wait_for_message(a)
    assert sorted(delivered.recipients) == sorted([a, b])
    assert delivered.header("X-Spam-Flag") == "YES"


def test_hold_with_an_empty_reason_still_holds(postfix, smtp_sink, start_qmilter, smtp):
    # libmilter refuses an empty reason; the plugin gives one naming the quarantine.
    start_qmilter(rig.simple_config({"spam": rig.quarantine_section(action="hold", hold_reason="")}))
    a = rig.unique_address()
    before = set(postfix.queue_ids("hold"))
    assert smtp("sender@example.org", [a], spam([a])).accepted
    rig.wait_until(lambda: set(postfix.queue_ids("hold")) - before, "a new message in the hold queue")


def test_tempfail_answers_the_configured_reply_and_keeps_a_copy(
        postfix, smtp_sink, start_qmilter, smtp, rig_dir):
    qdir = os.path.join(rig_dir, "tempfail-quarantine")
    os.makedirs(qdir, exist_ok=True)
    start_qmilter(rig.simple_config({"spam": rig.quarantine_section(
        action="tempfail", quarantine_type="file", quarantine_directory=qdir,
        tempfail_code="452", tempfail_extended_code="4.7.28", tempfail_reason="Held for review, retry later")}))
    a = rig.unique_address()
    result = smtp("sender@example.org", [a], spam([a]))
    assert result.final == (452, "4.7.28 Held for review, retry later"), result
    assert len([n for n in os.listdir(qdir) if n.endswith(".metadata")]) == 1
    # The default reply.
    start_qmilter(rig.simple_config({"spam": rig.quarantine_section(action="tempfail")}))
    result = smtp("sender@example.org", [a], spam([a]))
    assert result.final == (451, "4.7.1 Message deferred, try again later"), result
    assert smtp_sink.messages_to(a) == []


def test_bad_codes_and_reasons_are_load_errors(rig_dir):
    for options, why in (({"tempfail_code": "550"}, "'550' is not a 4xy reply code"),
                         ({"tempfail_code": "45"}, "'45' is not a 4xy reply code"),
                         ({"tempfail_extended_code": "5.7.1"}, "'5.7.1' is not a 4.x.y status code"),
                         ({"tempfail_extended_code": "4.7"}, "'4.7' is not a 4.x.y status code"),
                         ({"tempfail_extended_code": "4.7.1234"}, "is not a 4.x.y status code")):
        path = rig.write_config(os.path.join(rig_dir, "bad-tempfail.conf"),
                                rig.simple_config({"spam": rig.quarantine_section(action="tempfail", **options)}))
        checked = rig.run_qmilter(["-c", path, "-t"])
        assert checked.returncode == 1 and why in checked.stderr, (options, checked.stderr)


def decoded_subject(message):
    return str(email.header.make_header(email.header.decode_header(message.header("Subject"))))


def test_tag_delivers_with_headers_and_subject_prefix_and_keeps_a_copy(
        postfix, smtp_sink, start_qmilter, smtp, rig_dir):
    qdir = os.path.join(rig_dir, "tag-quarantine")
    os.makedirs(qdir, exist_ok=True)
    start_qmilter(rig.simple_config({"spam": rig.quarantine_section(
        action="tag", quarantine_type="file", quarantine_directory=qdir,
        tag_headers="X-Quarantine: {quarantine}, X-Quarantine-ID: {EMAIL_QUARANTINE_ID}",
        tag_subject_prefix="[SPAM]")}))
    a, b = rig.unique_address(), rig.unique_address()
    assert smtp("sender@example.org", [a, b], spam([a, b], subject="Cheap pills")).accepted
    delivered = smtp_sink.wait_for_message(a)
    assert sorted(delivered.recipients) == sorted([a, b])
    assert delivered.header("Subject") == "[SPAM] Cheap pills"
    assert delivered.header("X-Quarantine") == "spam"
    stored = [n[:-len(".metadata")] for n in os.listdir(qdir) if n.endswith(".metadata")]
    assert delivered.header("X-Quarantine-ID") == stored[0]


def test_tag_prefix_and_subject_stay_readable_in_any_encoding(postfix, smtp_sink, start_qmilter, smtp):
    start_qmilter(rig.simple_config({"spam": rig.quarantine_section(
        action="tag", tag_headers="X-Held-By: Quarant\u00e4ne {quarantine}", tag_subject_prefix="[SP\u00c4M]")}))
    cases = [("=?UTF-8?B?R3LDvMOfZQ==?=", "[SP\u00c4M] Gr\u00fc\u00dfe"),   # an encoded original
             ("plain words", "[SP\u00c4M] plain words")]
    for original, shown in cases:
        rcpt = rig.unique_address()
        assert smtp("sender@example.org", [rcpt], spam([rcpt], subject=original)).accepted
        delivered = smtp_sink.wait_for_message(rcpt)
        assert decoded_subject(delivered) == shown, delivered.header("Subject")
        assert all(ord(c) < 128 for c in delivered.header("Subject"))
        held_by = str(email.header.make_header(email.header.decode_header(delivered.header("X-Held-By"))))
        assert held_by == "Quarant\u00e4ne spam"
    # No Subject at all: one is added.
    rcpt = rig.unique_address()
    message = b"From: s@example.org\r\nTo: " + rcpt.encode() + b"\r\nX-Spam-Flag: YES\r\n\r\nbody\r\n"
    assert smtp("sender@example.org", [rcpt], message).accepted
    assert decoded_subject(smtp_sink.wait_for_message(rcpt)) == "[SP\u00c4M]"


def test_tag_options_are_checked(rig_dir):
    for options, why in (({"tag_headers": "no colon here"}, "is not 'Name: value'"),
                         ({"tag_headers": "Bad Name: x"}, "is not 'Name: value'"),
                         ({"tag_headers": "X-Q: {nope}"}, "unknown variable {nope}"),
                         ({"tag_headers": "", "tag_subject_prefix": ""}, "deliver the message unmarked")):
        path = rig.write_config(os.path.join(rig_dir, "bad-tag.conf"),
                                rig.simple_config({"spam": rig.quarantine_section(action="tag", **options)}))
        checked = rig.run_qmilter(["-c", path, "-t"])
        assert checked.returncode == 1 and why in checked.stderr, (options, checked.stderr)
