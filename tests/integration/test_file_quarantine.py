"""FILE quarantine through the real Postfix rig: a matched message lands in the
directory with pyquarantine's layout, read back the way the Python filter's tools did
(json.load for the metadata, the email module for the data file); release through
qmilterctl reaches a real SMTP server (smtp-sink) with the stored message, and the entry
keeps the other recipient.

A message for two recipients where one is whitelisted (DB whitelist on SQLite, entry added
with qmilterctl) reaches that one through smtp-sink while the other's copy is stored.
"""

import email
import email.policy
import json
import os
import re
import stat
import subprocess
import time
import uuid

import pytest

import rig

KEYS = ["mailfrom", "recipients", "headers", "date", "queue_id", "subgroups", "named_subgroups"]


def qmilterctl(*args, check=True):
    binary = os.path.join(rig.build_dir(), "bin", "qmilterctl")
    proc = subprocess.run([binary, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"qmilterctl {' '.join(args)} exited {proc.returncode}: "
                             f"{proc.stderr.decode(errors='replace')}")
    return proc


def entries(directory):
    return sorted(n[:-len(".metadata")] for n in os.listdir(directory) if n.endswith(".metadata"))


@pytest.fixture
def quarantine_dir(rig_dir):
    path = os.path.join(rig_dir, f"quarantine-{uuid.uuid4().hex[:8]}")
    os.makedirs(path)
    return path


def file_config(directory, smtp_port=25, regex=r"^X-Spam-Flag: (?P<flag>YES)(?P<never>NEVER)?"):
    return rig.simple_config({"spam": rig.quarantine_section(
        regex=regex, quarantine_type="file", quarantine_directory=directory,
        smtp_port=smtp_port)})


def send_matched(smtp, rcpts, body="Hello.\r\n.dot line\r\n..two dots\r\n\r\nlast line\r\n",
                 sender="Sender@Example.ORG"):
    message = rig.make_message(
        headers=[("X-Spam-Flag", "YES"), ("X-Dup", "first"),
                 ("X-Folded", "one\r\n\ttwo"), ("X-Dup", "second")],
        subject="Spam \u00e9t\u00e9", body=body, to=", ".join(rcpts))
    result = smtp(sender, rcpts, message)
    assert result.accepted, result
    return result


def test_matched_message_lands_with_pyquarantine_layout(postfix, smtp_sink, start_qmilter,
                                                        smtp, quarantine_dir):
    start_qmilter(file_config(quarantine_dir))
    rcpt = rig.unique_address()
    before = int(time.time())
    result = send_matched(smtp, [rcpt])
    after = int(time.time())
    ids = rig.wait_until(lambda: entries(quarantine_dir), "a quarantine entry")
    assert len(ids) == 1
    qid = ids[0]

    # id: local time of storing + "_" + the MTA's queue id
    m = re.fullmatch(r"(\d{14})_(\w+)", qid)
    assert m, qid
    assert m.group(2) == result.queue_id
    stamp = time.mktime(time.strptime(m.group(1), "%Y%m%d%H%M%S"))
    assert before - 1 <= stamp <= after + 1

    # metadata, as the Python tools read it
    meta_path = os.path.join(quarantine_dir, qid + ".metadata")
    with open(meta_path) as f:
        meta = json.load(f)
    assert list(meta) == KEYS
    assert meta["mailfrom"] == "sender@example.org"
    assert meta["recipients"] == [rcpt]
    assert isinstance(meta["date"], int) and before - 1 <= meta["date"] <= after + 1
    assert meta["queue_id"] == result.queue_id
    assert meta["subgroups"] == ["YES", None]
    assert meta["named_subgroups"] == {"flag": "YES", "never": None}
    headers = meta["headers"]
    assert all(k == k.lower() for k in headers)
    assert headers["x-spam-flag"] == "YES"
    assert headers["x-dup"] == "second"  # the last occurrence wins
    assert headers["x-folded"] == "one\n\ttwo"
    assert headers["subject"] == "Spam \u00e9t\u00e9"
    assert headers["to"] == rcpt
    # byte for byte what pyquarantine's json.dump(metadata, f, indent=2) wrote
    with open(meta_path) as f:
        assert f.read() == json.dumps(meta, indent=2)

    # data file: headers "Name: value\n", empty line, the body exactly as received (CRLF)
    data_path = os.path.join(quarantine_dir, qid)
    with open(data_path, "rb") as f:
        raw = f.read()
    head, body = raw.split(b"\n\n", 1)
    assert b"\r" not in head.replace(b"\r\n\t", b"")
    assert body == b"Hello.\r\n.dot line\r\n..two dots\r\n\r\nlast line\r\n"
    with open(data_path, "rb") as f:
        parsed = email.message_from_binary_file(f, policy=email.policy.compat32)
    assert parsed.get_all("X-Dup") == ["first", "second"]
    assert parsed["X-Spam-Flag"] == "YES"
    assert parsed["To"] == rcpt
    names = [k.lower() for k in parsed.keys()]
    assert names.index("x-spam-flag") < names.index("x-dup") < names.index("x-folded")

    for path in (data_path, meta_path):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sorted(os.listdir(quarantine_dir)) == [qid, qid + ".metadata"]  # no temporary files


def test_release_delivers_the_stored_message_and_keeps_the_other_recipient(
        postfix, smtp_sink, start_qmilter, smtp, quarantine_dir, qmilter_config):
    config = file_config(quarantine_dir, smtp_port=smtp_sink.port)
    start_qmilter(config)
    conf_path = qmilter_config(config, "release.conf")
    first, second = rig.unique_address(), rig.unique_address()
    body = "Release me.\r\n.starts with a dot\r\n" + "x" * 5000 + "\r\n\u00fcml\u00e4ut\r\n"
    send_matched(smtp, [first, second], body=body)
    qid = rig.wait_until(lambda: entries(quarantine_dir), "a quarantine entry")[0]
    with open(os.path.join(quarantine_dir, qid), "rb") as f:
        stored = f.read()

    proc = qmilterctl("-c", conf_path, "quarantine", "spam", "release", qid, "-t", first)
    assert first in proc.stdout.decode()
    msg = smtp_sink.wait_for_message(first)
    assert msg.recipients == [first]
    assert msg.mail_from == "sender@example.org"
    # smtp-sink's dump has LF line ends; everything else is byte for byte the stored message
    assert msg.data == stored.replace(b"\r\n", b"\n")
    assert msg.body == body.encode().replace(b"\r\n", b"\n")

    with open(os.path.join(quarantine_dir, qid + ".metadata")) as f:
        assert json.load(f)["recipients"] == [second]
    listed = qmilterctl("-c", conf_path, "quarantine", "spam", "list", "-b").stdout.decode()
    assert listed.split() == [qid]

    qmilterctl("-c", conf_path, "quarantine", "spam", "release", qid, "-a")
    smtp_sink.wait_for_message(second)
    assert entries(quarantine_dir) == []
    assert os.listdir(quarantine_dir) == []


def test_failed_release_names_the_recipient_and_keeps_the_entry(
        postfix, smtp_sink, start_qmilter, smtp, quarantine_dir, qmilter_config):
    closed_port = rig.free_port("127.0.0.1")
    config = file_config(quarantine_dir, smtp_port=closed_port)
    start_qmilter(config)
    rcpt = rig.unique_address()
    send_matched(smtp, [rcpt])
    qid = rig.wait_until(lambda: entries(quarantine_dir), "a quarantine entry")[0]
    proc = qmilterctl("-c", qmilter_config(config, "closed.conf"), "quarantine", "spam",
                      "release", qid, "-a", check=False)
    assert proc.returncode == 1
    assert rcpt in proc.stderr.decode()
    assert entries(quarantine_dir) == [qid]
    with open(os.path.join(quarantine_dir, qid + ".metadata")) as f:
        assert json.load(f)["recipients"] == [rcpt]


def test_only_the_quarantined_recipient_is_stored_and_the_other_gets_the_mail(
        postfix, smtp_sink, start_qmilter, smtp, quarantine_dir, qmilter_config, rig_dir):
    section = rig.quarantine_section(
        regex=r"^X-Spam-Flag: YES", quarantine_type="file", quarantine_directory=quarantine_dir,
        whitelist_type="db", smtp_port=smtp_sink.port,
        whitelist_db_connection="sqlite:///" + os.path.join(rig_dir, f"wl-{uuid.uuid4().hex[:8]}.db"),
        whitelist_db_table="whitelist")
    config = rig.simple_config({"spam": section})
    conf_path = qmilter_config(config, "mixed.conf")
    trusting, other = rig.unique_address(), rig.unique_address()
    qmilterctl("-c", conf_path, "whitelist", "spam", "add", "-f", "sender@example.org",
               "-t", trusting, "-c", "trusted")
    start_qmilter(config)

    send_matched(smtp, [trusting, other])
    delivered = smtp_sink.wait_for_message(trusting)
    assert delivered.recipients == [trusting]
    qid = rig.wait_until(lambda: entries(quarantine_dir), "a quarantine entry")[0]
    with open(os.path.join(quarantine_dir, qid + ".metadata")) as f:
        assert json.load(f)["recipients"] == [other]
    assert smtp_sink.messages_to(other) == []

    qmilterctl("-c", conf_path, "quarantine", "spam", "release", qid, "-t", other)
    released = smtp_sink.wait_for_message(other)
    assert released.recipients == [other]
    assert released.body == delivered.body
    assert entries(quarantine_dir) == []


@pytest.mark.parametrize("length", [190, 260, 1000])
def test_a_long_queue_id_gives_an_entry_qmilterctl_can_list_and_delete(start_qmilter,
                                                                      quarantine_dir, length):
    # The id is `YYYYmmddHHMMSS_<queueid>`: from a long enough queue id (the `i` macro is
    # the MTA's to choose) it must still be a file name, and one that qmilterctl accepts.
    queue_id = "".join(f"Q{n:04d}" for n in range(length // 5 + 1))[:length]
    qmilter = start_qmilter(file_config(quarantine_dir))
    config = qmilter.configs[0]
    result = rig.run_miltertest("matched_with_queue_id.lua", qmilter.socket, defines={
        "scriptdir": rig.miltertest.SCRIPT_DIR, "queue_id": queue_id})
    assert result.returncode == 0, result.stdout
    stored = rig.wait_until(lambda: entries(quarantine_dir), "the quarantine entry")
    assert len(stored) == 1
    qid = stored[0]
    assert re.fullmatch(r"\d{14}_" + queue_id[:150] + r"\w*", qid), qid

    listed = qmilterctl("-c", config, "quarantine", "spam", "list", "-b").stdout.decode().split()
    assert listed == [qid]
    metadata = json.loads(qmilterctl("-c", config, "quarantine", "spam", "metadata", qid).stdout)
    assert metadata["queue_id"] == queue_id
    qmilterctl("-c", config, "quarantine", "spam", "delete", qid, "-a")
    assert entries(quarantine_dir) == []
    assert os.listdir(quarantine_dir) == []
