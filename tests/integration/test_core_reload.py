"""SIGHUP swaps qmilter's configuration; a bad new one is refused and the old one kept
(issue 2, SPEC 8). Checked with mail through the rig's Postfix."""

import re

import rig

SPAM = {"X-Spam-Flag": "YES"}


def send_spam(smtp):
    rcpt = rig.unique_address()
    return smtp("a@example.org", [rcpt], rig.make_message(SPAM, to=rcpt)), rcpt


def test_sighup_swaps_the_configuration(postfix, smtp_sink, start_qmilter, qmilter_config,
                                        smtp):
    path = qmilter_config(rig.simple_config(), "reload.conf")
    qmilter = start_qmilter(path)
    mark = postfix.log.mark()
    before, _ = send_spam(smtp)
    assert before.accepted
    postfix.log.wait_for(r"milter-discard", since=mark)

    qmilter_config(rig.simple_config({"spam": rig.quarantine_section(
        action="reject", reject_reason="Rejected after reload")}), "reload.conf")
    qmilter.reload()
    after, rcpt = send_spam(smtp)
    assert after.final == (554, "5.7.0 Rejected after reload"), after

    # And a clean message is still delivered on the new configuration.
    clean = rig.unique_address()
    assert smtp("a@example.org", [clean], rig.make_message(to=clean)).accepted
    smtp_sink.wait_for_message(clean)
    assert qmilter.running()


def test_sighup_with_a_bad_configuration_keeps_the_old_one(postfix, smtp_sink, start_qmilter,
                                                           qmilter_config, smtp):
    path = qmilter_config(rig.simple_config({"spam": rig.quarantine_section(
        action="reject", reject_reason="Old configuration")}), "reload.conf")
    qmilter = start_qmilter(path)

    bad = rig.simple_config({"spam": rig.quarantine_section(action="discard",
                                                            regex="(unclosed")})
    qmilter_config(bad, "reload.conf")
    mark = qmilter.log.mark()
    # The refusal names the file, the section and the option that is wrong.
    qmilter.reload(expect=rf"{re.escape(path)}.*\[?spam\]?.*regex")
    assert not qmilter.log.search(rig.qmilter_process.RELOADED, since=mark)
    assert qmilter.running()

    result, _ = send_spam(smtp)
    assert result.final == (554, "5.7.0 Old configuration"), result

    # A good file afterwards is taken again.
    qmilter_config(rig.simple_config({"spam": rig.quarantine_section(
        action="reject", reject_reason="Fixed configuration")}), "reload.conf")
    qmilter.reload()
    result, _ = send_spam(smtp)
    assert result.final == (554, "5.7.0 Fixed configuration"), result
