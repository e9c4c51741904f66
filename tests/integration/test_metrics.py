"""Prometheus metrics through a real Postfix: after a known mix of clean, quarantined (and
notified), whitelisted and deferred messages, qmilter's /metrics shows exactly that mix; the
text parses with python3-prometheus-client's parser; counts survive a reload; qmilter-web
counts its pages, actions and refused links on its own endpoint; bad listen addresses are
configuration errors."""

import os
import re
import shutil
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

import rig

SPAM = [("X-Spam-Flag", "YES")]
BROKEN = [("X-Break", "yes")]
NOTIFY_FROM = "notify@rig.test"


def scrape(port, path="/metrics"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
        assert answer.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        return answer.read().decode()


def samples(text):
    """{(name, frozenset(labels)): value} through the reference parser."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(parsed, name, **labels):
    return parsed.get((name, frozenset(labels.items())))


def assert_well_formed(text):
    # The reference parser is lenient; these are the rules it does not check.
    declared = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            name = line.split()[2]
            assert name not in declared, f"{name} declared twice"
            declared.add(name)
        elif not line.startswith("#"):
            name = line.split("{")[0].split(" ")[0]
            base = name
            for suffix in ("_bucket", "_sum", "_count"):
                if name.endswith(suffix) and name[:-len(suffix)] in declared:
                    base = name[:-len(suffix)]
            assert base in declared, f"sample {name} before its TYPE line"
            assert "@" not in line, f"an address in a metric: {line}"


@pytest.fixture
def base(rig_dir, request):
    path = os.path.join(rig_dir, request.node.name)
    os.makedirs(path)
    return path


def mixed_config(base, smtp_sink, metrics_port):
    spam_dir = os.path.join(base, "spam")
    broken_dir = os.path.join(base, "broken")
    os.makedirs(spam_dir)
    os.makedirs(broken_dir)
    template = os.path.join(base, "notification.template")
    with open(template, "w") as f:
        f.write("<p>{EMAIL_SUBJECT} was held.</p>")
    return rig.simple_config({
        "broken": rig.quarantine_section(r"^X-Break: yes", "discard", quarantine_type="file",
                                         quarantine_directory=broken_dir),
        "spam": rig.quarantine_section(
            r"^X-Spam-Flag: YES", "discard", quarantine_type="file", quarantine_directory=spam_dir,
            whitelist_type="db", whitelist_db_connection="sqlite:///" + os.path.join(base, "whitelist.db"),
            whitelist_db_table="whitelist",
            notification_type="email", smtp_port=smtp_sink.port,
            notification_email_envelope_from=NOTIFY_FROM, notification_email_from=NOTIFY_FROM,
            notification_email_subject="Held: {EMAIL_SUBJECT}", notification_email_template=template,
            notification_email_replacement_img="", notification_spool_dir=os.path.join(base, "outbox")),
    }, metrics_listen=f"127.0.0.1:{metrics_port}", state_dir=base)


def test_the_counters_equal_a_known_mix_and_parse(postfix, smtp_sink, start_qmilter, smtp, qmilter_config, base):
    port = rig.free_port()
    config = mixed_config(base, smtp_sink, port)
    path = qmilter_config(config, "metrics.conf")
    trusting = rig.unique_address()
    listed = rig.run_qmilterctl(["-c", path, "whitelist", "spam", "add", "-f", "sender@example.org", "-t", trusting])
    assert listed.returncode == 0, listed.stderr
    qmilter = start_qmilter(path)

    at_start = samples(scrape(port))
    assert value(at_start, "qmilter_messages_total", verdict="accept") == 0
    assert value(at_start, "qmilter_tempfail_total", reason="store") == 0
    assert value(at_start, "qmilter_quarantined_total", quarantine="spam", action="discard") == 0

    clean = [rig.unique_address() for _ in range(3)]
    for rcpt in clean:
        assert smtp("sender@example.org", [rcpt], rig.make_message([], to=rcpt)).accepted
    held = [rig.unique_address() for _ in range(2)]
    for rcpt in held:
        assert smtp("sender@example.org", [rcpt], rig.make_message(SPAM, to=rcpt)).accepted
    assert smtp("sender@example.org", [trusting], rig.make_message(SPAM, to=trusting)).accepted
    # The broken quarantine's directory becomes a file: its store fails, the client is deferred.
    shutil.rmtree(os.path.join(base, "broken"))
    with open(os.path.join(base, "broken"), "w") as f:
        f.write("not a directory\n")
    deferred = smtp("sender@example.org", [rig.unique_address()], rig.make_message(BROKEN))
    assert deferred.final[0] == 451, deferred

    for rcpt in clean + [trusting]:
        smtp_sink.wait_for_message(rcpt)
    for rcpt in held:
        rig.wait_until(lambda r=rcpt: [m for m in smtp_sink.messages() if r in m.recipients
                                       and m.mail_from == NOTIFY_FROM], f"the notification to {rcpt}")

    def settled():
        parsed = samples(scrape(port))
        done = value(parsed, "qmilter_notifications_total", quarantine="spam", result="delivered") == 2
        return parsed if done and value(parsed, "qmilter_connections") == 0 else None

    parsed = rig.wait_until(settled, "the notifications counted and the connections closed")
    text = scrape(port)
    assert_well_formed(text)
    assert value(parsed, "qmilter_messages_total", verdict="accept") == 4   # 3 clean + 1 whitelisted
    assert value(parsed, "qmilter_messages_total", verdict="discard") == 2
    assert value(parsed, "qmilter_messages_total", verdict="tempfail") == 1
    assert value(parsed, "qmilter_messages_total", verdict="reject") == 0
    assert value(parsed, "qmilter_tempfail_total", reason="store") == 1
    assert sum(v for (n, _), v in parsed.items() if n == "qmilter_tempfail_total") == 1
    assert value(parsed, "qmilter_quarantined_total", quarantine="spam", action="discard") == 2
    assert value(parsed, "qmilter_quarantined_total", quarantine="broken", action="discard") == 0
    assert value(parsed, "qmilter_whitelisted_total", quarantine="spam") == 1
    assert value(parsed, "qmilter_whitelisted_total", quarantine="broken") == 0
    assert value(parsed, "qmilter_store_duration_seconds_count", quarantine="spam") == 2
    assert value(parsed, "qmilter_store_duration_seconds_count", quarantine="broken") == 1
    assert value(parsed, "qmilter_whitelist_lookup_duration_seconds_count", quarantine="spam") == 3
    assert value(parsed, "qmilter_notifications_total", quarantine="spam", result="failed") == 0
    assert value(parsed, "qmilter_outbox_files", quarantine="spam") == 0
    build = [labels for (n, labels), v in parsed.items() if n == "qmilter_build_info" and v == 1]
    with open(os.path.join(rig.source_dir(), "sdk/include/qmilter/sdk/abi.hpp")) as f:
        header = f.read()
    abi = ".".join(re.search(rf"^#define QMILTER_SDK_ABI_{part} (\d+)$", header, re.M).group(1)
                   for part in ("MAJOR", "MINOR"))
    assert len(build) == 1 and dict(build[0])["abi"] == abi, build
    assert 0 < value(parsed, "process_start_time_seconds") <= time.time()

    # The broken quarantine refuses to load now; with its directory back the reload applies.
    qmilter.reload(expect="configuration reload refused")
    assert value(samples(scrape(port)), "qmilter_config_reloads_total", result="refused") == 1
    os.remove(os.path.join(base, "broken"))
    os.makedirs(os.path.join(base, "broken"))
    qmilter.reload()
    after = samples(scrape(port))
    assert value(after, "qmilter_config_reloads_total", result="applied") == 1
    assert value(after, "qmilter_messages_total", verdict="accept") == 4   # counts survive the reload
    assert value(after, "qmilter_quarantined_total", quarantine="spam", action="discard") == 2


def test_only_metrics_is_served_there(start_qmilter, base):
    port = rig.free_port()
    start_qmilter(rig.simple_config(metrics_listen=f"127.0.0.1:{port}"))
    for path, status in (("/", 404), ("/metrics/x", 404)):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10)
        assert refused.value.code == status
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 405


@pytest.mark.parametrize("address,why", [("localhost:9722", "numeric"), ("127.0.0.1", "port"),
                                         ("127.0.0.1:99999", "port")])
def test_a_bad_metrics_address_is_a_configuration_error(rig_dir, address, why):
    for option in ("metrics_listen", "web_metrics_listen"):
        path = rig.write_config(os.path.join(rig_dir, "bad-metrics.conf"), rig.simple_config(**{option: address}))
        checked = rig.run_qmilter(["-c", path, "-t"])
        assert checked.returncode == 1, checked.stdout
        assert option in checked.stderr and why in checked.stderr, checked.stderr


def test_a_taken_metrics_port_stops_the_start_with_a_message(start_qmilter, base):
    import socket
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        port = taken.getsockname()[1]
        path = rig.write_config(os.path.join(base, "taken.conf"),
                                rig.simple_config(metrics_listen=f"127.0.0.1:{port}", socket="unix:" + os.path.join(base, "s")))
        result = rig.run_qmilter(["-c", path])
        assert result.returncode == 1
        assert f"metrics_listen: cannot listen on 127.0.0.1:{port}" in result.stdout + result.stderr
    finally:
        taken.close()
