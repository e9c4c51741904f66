"""qmilter driven by a real milter client (OpenDKIM's miltertest).

The Lua scripts in miltertest/ play the MTA: a clean message gets ACCEPT at end of headers
(and every earlier step was negotiated to need no reply), a matched message with action
discard gets DISCARD, with action reject `554 5.7.0 <reject_reason>` - at end of message,
or already at end of headers when nothing is stored or notified (`none` plugins).
"""

import pytest

import rig


def run_script(qmilter, script, **defines):
    result = rig.run_miltertest(script, qmilter.socket,
                                defines={"scriptdir": rig.miltertest.SCRIPT_DIR, **defines})
    assert result.returncode == 0, f"miltertest {script} failed:\n{result.stdout}"
    return result.stdout


def test_clean_message_is_accepted_at_end_of_headers(start_qmilter):
    qmilter = start_qmilter(rig.simple_config())
    assert "ok:" in run_script(qmilter, "clean_accepted_at_eoh.lua")


def test_matched_message_with_discard_action_is_discarded(start_qmilter):
    qmilter = start_qmilter(rig.simple_config())
    assert "ok:" in run_script(qmilter, "matched_discarded.lua")


@pytest.mark.parametrize("reason", ["Message rejected", "Spam is not welcome here"])
def test_matched_message_with_reject_action_is_rejected_with_554_and_reason(start_qmilter,
                                                                             reason):
    section = rig.quarantine_section(action="reject")
    if reason != "Message rejected":  # else: the documented default
        section["reject_reason"] = reason
    qmilter = start_qmilter(rig.simple_config({"spam": section}))
    assert "ok:" in run_script(qmilter, "matched_rejected.lua", reason=reason)


def test_several_connections_in_a_row_on_one_daemon(start_qmilter):
    qmilter = start_qmilter(rig.simple_config())
    for _ in range(3):
        run_script(qmilter, "clean_accepted_at_eoh.lua")
        run_script(qmilter, "matched_discarded.lua")
    assert qmilter.running()


@pytest.mark.parametrize("client_ip,expect", [
    ("2001:db8::25", "accept"),
    ("2001:db9::25", "discard"),
    ("10.1.200.3", "accept"),
    ("10.2.0.1", "discard"),
    ("192.0.2.7", "accept"),
    ("192.0.2.8", "discard"),
])
def test_ignore_hosts_with_ipv4_and_ipv6_networks(start_qmilter, client_ip, expect):
    qmilter = start_qmilter(rig.simple_config({"spam": rig.quarantine_section(
        ignore_hosts="2001:db8::/32, 10.1.0.0/16, 192.0.2.7")}))
    run_script(qmilter, "client_verdict.lua", client_ip=client_ip, expect=expect)
