"""Header regexes that PCRE2's backtracking cannot finish, through Postfix -> qmilter.

A folded SpamAssassin report outgrows the JIT's default stack; `(.|\\n)*` explodes on a
report without the rule; a back reference past the match limit cannot be decided at all.
None of them may be read as "no match": the first two are decided, the last answers
TEMPFAIL (or, with regex_failure_action = match, is quarantined), with a log line naming
the quarantine and the header.
"""

import time

import rig

REPORT_REGEX = r"^X-Spam-Report:(.|\n)*BAYES_99"
BOMB_REGEX = r"^X-Bomb: (a|aa)+\1b"


def spam_report(lines, last_rule):
    """A SpamAssassin-style X-Spam-Report folded over `lines` rule lines."""
    rules = "".join("\r\n\t*  0.0 URIBL_BLOCKED ADMINISTRATOR NOTICE: The query to URIBL was 1.9"
                    for _ in range(lines))
    return ("Content analysis details:   (6.1 points, 5.0 required)" + rules +
            f"\r\n\t*  3.5 {last_rule} BODY: Bayes spam probability is 99 to 100%")


def report_config(**overrides):
    return rig.simple_config({"spam": rig.quarantine_section(REPORT_REGEX, "discard", **overrides)})


def test_a_long_folded_spam_report_is_quarantined(postfix, smtp_sink, start_qmilter, smtp):
    start_qmilter(report_config())
    rcpt = rig.unique_address()
    mark = postfix.log.mark()
    message = rig.make_message({"X-Spam-Report": spam_report(25, "BAYES_99")}, to=rcpt)
    assert len(message) > 2000
    result = smtp("sender@example.org", [rcpt], message)
    assert result.accepted, result
    postfix.log.wait_for(r"milter-discard: END-OF-MESSAGE", since=mark)
    assert smtp_sink.messages_to(rcpt) == []


def test_a_long_report_without_the_rule_is_delivered(postfix, smtp_sink, start_qmilter, smtp):
    # Backtracking is exponential here (two ways through each newline); the DFA matcher decides.
    start_qmilter(report_config())
    rcpt = rig.unique_address()
    message = rig.make_message({"X-Spam-Report": spam_report(30, "BAYES_00")}, to=rcpt)
    assert smtp("sender@example.org", [rcpt], message).accepted
    smtp_sink.wait_for_message(rcpt)


def bomb_config(**overrides):
    return rig.simple_config({"bombs": rig.quarantine_section(
        BOMB_REGEX, "discard", regex_match_limit=10000, **overrides)})


def test_an_undecidable_header_gets_tempfail_and_a_log_line(postfix, smtp_sink, start_qmilter, smtp):
    qmilter = start_qmilter(bomb_config())
    rcpt = rig.unique_address()
    result = smtp("sender@example.org", [rcpt], rig.make_message({"X-Bomb": "a" * 200}, to=rcpt))
    assert result.final is not None and result.final[0] == 451, result
    qmilter.log.wait_for(r"temporary failure: quarantine 'bombs': regex on header 'X-Bomb' "
                         r"could not be decided: PCRE2: match limit exceeded")
    assert smtp_sink.messages_to(rcpt) == []


def test_the_match_policy_quarantines_an_undecidable_header(postfix, smtp_sink, start_qmilter, smtp):
    qmilter = start_qmilter(bomb_config(regex_failure_action="match"))
    rcpt = rig.unique_address()
    mark = postfix.log.mark()
    result = smtp("sender@example.org", [rcpt], rig.make_message({"X-Bomb": "a" * 200}, to=rcpt))
    assert result.accepted, result
    postfix.log.wait_for(r"milter-discard: END-OF-MESSAGE", since=mark)
    qmilter.log.wait_for(r"quarantine 'bombs': regex on header 'X-Bomb' could not be decided "
                         r"\(PCRE2: match limit exceeded.*\); taken as a match")
    assert smtp_sink.messages_to(rcpt) == []


def test_one_message_cannot_buy_unbounded_regex_time(postfix, smtp_sink, start_qmilter, smtp):
    # Every header costs `(a+)+$` its whole match limit before the DFA matcher says "no";
    # a thousand of them would take a minute. The message's regex time limit stops that.
    qmilter = start_qmilter(rig.simple_config(
        {"nested": rig.quarantine_section(r"(a+)+$", "discard")}, regex_time_limit=500))
    rcpt = rig.unique_address()
    headers = [(f"X-A{i}", "a" * 40 + "!") for i in range(1000)]
    started = time.monotonic()
    result = smtp("sender@example.org", [rcpt], rig.make_message(headers, to=rcpt))
    elapsed = time.monotonic() - started
    assert result.final is not None and result.final[0] == 451, result
    qmilter.log.wait_for(r"temporary failure: quarantine 'nested': regex on header 'X-A\d+' could not be "
                         r"decided: the message's regex time limit \(500 ms\) is spent")
    assert elapsed < 30, f"answered after {elapsed:.1f} s"


def test_one_long_header_cannot_buy_unbounded_regex_time(postfix, smtp_sink, start_qmilter, smtp):
    # PCRE2's match limit counts per start position: each run of 18 `a` stays under it, and
    # the thousands of runs in one folded 60 KB header cost 9 s of CPU without the deadline.
    qmilter = start_qmilter(rig.simple_config(
        {"nested": rig.quarantine_section(r"(a+)+$", "discard")}, regex_time_limit=500))
    rcpt = rig.unique_address()
    lines = [("a" * 18 + "!") * 52 for _ in range(60)]
    started = time.monotonic()
    result = smtp("sender@example.org", [rcpt], rig.make_message({"X-Runs": "\r\n\t".join(lines)}, to=rcpt))
    elapsed = time.monotonic() - started
    assert result.final is not None and result.final[0] == 451, result
    qmilter.log.wait_for(r"temporary failure: quarantine 'nested': regex on header 'X-Runs' could not be "
                         r"decided: the message's regex time limit \(500 ms\) is spent")
    assert elapsed < 30, f"answered after {elapsed:.1f} s"


def test_config_check_refuses_bad_regex_options(tmp_path):
    for option, value, reason in [
            ("regex_match_limit", "0", "must be from 1 to 4294967295"),
            ("regex_depth_limit", "99999999999", "must be from 1 to 4294967295"),
            ("regex_failure_action", "accept", "'accept' is neither 'tempfail' nor 'match'")]:
        config = rig.write_config(str(tmp_path / f"{option}.conf"), rig.simple_config(
            {"spam": rig.quarantine_section(**{option: value})}))
        result = rig.run_qmilter(["-t", "-c", config])
        assert result.returncode != 0
        assert f"[spam] {option}: {reason}" in result.stderr, result.stderr


def test_config_check_warns_of_catastrophic_backtracking(tmp_path):
    config = rig.write_config(str(tmp_path / "probe.conf"), rig.simple_config({
        "report": rig.quarantine_section(REPORT_REGEX),
        "nested": rig.quarantine_section(r"(a+)+$"),
        "plain": rig.quarantine_section(r"^X-Spam-Flag: YES")}))
    result = rig.run_qmilter(["-t", "-c", config])
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "[report] regex: backtracking gives up on a folded 30-line spam report;" in output, output
    assert "[nested] regex: backtracking gives up on 4,000 repeated letters (" in output, output
    assert "[plain] regex" not in output, output
