"""The hold and tempfail actions through a real Postfix: `hold` puts the matched message
into Postfix's hold queue (postqueue shows it held; postsuper -H releases it
and it reaches smtp-sink with every recipient); `tempfail` gives the SMTP client the
configured 4xx reply while the quarantine keeps its copy; bad codes are load errors."""

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
