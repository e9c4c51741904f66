"""SIGHUP swaps qmilter's configuration; a bad new one is refused and the old one kept; a
message in flight finishes on the configuration it started with.
Checked with mail through the rig's Postfix and with miltertest."""

import os
import re
import subprocess
import threading

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


def test_message_in_flight_finishes_on_the_configuration_it_started_with(
        rig_dir, start_qmilter, qmilter_config):
    path = qmilter_config(rig.simple_config(), "inflight.conf")  # spam -> discard
    qmilter = start_qmilter(path)
    ready, gate = os.path.join(rig_dir, "inflight.ready"), os.path.join(rig_dir, "inflight.gate")
    script = subprocess.Popen(
        [rig.miltertest.MILTERTEST, "-s", rig.miltertest.script_path("inflight_across_reload.lua"),
         "-D", f"socket={qmilter.socket}", "-D", f"scriptdir={rig.miltertest.SCRIPT_DIR}",
         "-D", f"ready={ready}", "-D", f"gate={gate}", "-D", "expect=discard"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        rig.wait_until(lambda: os.path.exists(ready) or script.poll() is not None,
                       "the miltertest script to be mid-message")
        qmilter_config(rig.simple_config({"spam": rig.quarantine_section(action="reject")}),
                       "inflight.conf")
        qmilter.reload()
        open(gate, "w").close()
        output, _ = script.communicate(timeout=60)
    finally:
        if script.poll() is None:
            script.kill()
            script.wait()
    assert script.returncode == 0, output

    # A new connection gets the new configuration.
    result = rig.run_miltertest("matched_rejected.lua", qmilter.socket, defines={
        "scriptdir": rig.miltertest.SCRIPT_DIR, "reason": "Message rejected"})
    assert result.returncode == 0, result.stdout


def test_reloads_under_concurrent_mail_lose_nothing(postfix, smtp_sink, start_qmilter,
                                                    qmilter_config, smtp):
    def config(reason):
        return rig.simple_config({"spam": rig.quarantine_section(action="reject",
                                                                 reject_reason=reason)})

    path = qmilter_config(config("Generation 0"), "busy.conf")
    qmilter = start_qmilter(path)
    results = []

    def client(n):
        for i in range(5):
            rcpt = rig.unique_address(f"c{n}-{i}")
            spam = (i + n) % 2 == 0
            headers = SPAM if spam else {}
            results.append((spam, rcpt, smtp("a@example.org", [rcpt],
                                             rig.make_message(headers, to=rcpt),
                                             client_ip=f"127.0.1.{n + 1}")))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    # Reload over and over while the clients send (at least three times).
    generation = 0
    while generation < 3 or any(t.is_alive() for t in threads):
        generation += 1
        qmilter_config(config(f"Generation {generation}"), "busy.conf")
        qmilter.reload()
        assert generation < 500, "clients did not finish"
    for t in threads:
        t.join(120)

    assert len(results) == 20
    for spam, rcpt, result in results:
        if spam:
            assert result.final is not None and result.final[0] == 554, result
            assert re.fullmatch(r"5\.7\.0 Generation \d+", result.final[1]), result
        else:
            assert result.accepted, result
            smtp_sink.wait_for_message(rcpt)
    assert qmilter.running()


def test_sighup_says_that_a_replaced_plugin_file_keeps_its_old_code(start_qmilter, qmilter_config, tmp_path):
    # A plugin library is never unloaded: after a new file is installed, the daemon still
    # runs the code it loaded first, and the reload must say so rather than look like it took.
    plugin_dir = tmp_path / "plugins"
    plugin_dir.mkdir()
    original = os.path.join(os.environ["QMILTER_PLUGIN_DIR"], "action_discard.so")
    copy = plugin_dir / "action_discard.so"
    with open(original, "rb") as f:
        library = f.read()
    copy.write_bytes(library)
    path = qmilter_config(rig.simple_config(plugin_dir=str(plugin_dir)), "replaced.conf")
    qmilter = start_qmilter(path)
    qmilter.reload()
    assert "plugin file changed on disk" not in qmilter.log.text()

    replacement = plugin_dir / "action_discard.so.new"
    replacement.write_bytes(library)
    os.replace(replacement, copy)  # as a package manager installs it: a new inode
    qmilter.reload()
    qmilter.log.wait_for(re.escape(str(copy)) + r": plugin file changed on disk since it was loaded; "
                         r"qmilter keeps running the code it loaded first")
    assert qmilter.running()
