"""Crash safety of the FILE quarantine: 200 matched messages stream through Postfix
while qmilter is killed with SIGKILL and started again. Afterwards every message is a
complete entry (data + metadata, the JSON parses, the body is whole) - stored before the
kill, or refused with a temporary error while qmilter was down and stored when the client
retried, as a real sending MTA does. While the stream runs, every entry qmilterctl lists is
checked to be complete: no half-written file is ever listed.
"""

import json
import os
import re
import subprocess
import threading
import time
import uuid

import rig

MESSAGES = 200
SENDERS = 4
KEYS = ["mailfrom", "recipients", "headers", "date", "queue_id", "subgroups", "named_subgroups"]


def body_of(seq):
    line = f"message {seq:04d} " + "x" * 100 + "\r\n"
    return f"start {seq}\r\n" + line * 300 + f"end {seq}\r\n"


def message_of(seq, rcpt):
    return rig.make_message(headers=[("X-Spam-Flag", "YES"), ("X-Seq", str(seq))],
                            body=body_of(seq), to=rcpt)


def check_entry(directory, qid):
    """The sequence number of a complete entry; AssertionError otherwise."""
    with open(os.path.join(directory, qid + ".metadata")) as f:
        meta = json.load(f)
    assert list(meta) == KEYS, (qid, meta)
    with open(os.path.join(directory, qid), "rb") as f:
        raw = f.read()
    head, body = raw.split(b"\n\n", 1)
    seq = int(re.search(rb"^X-Seq: (\d+)$", head, re.MULTILINE).group(1))
    assert meta["headers"]["x-seq"] == str(seq), qid
    assert body == body_of(seq).encode(), f"{qid}: body of message {seq} incomplete"
    return seq


def test_kill_9_mid_stream_loses_nothing(postfix, start_qmilter, rig_dir, qmilter_config):
    directory = os.path.join(rig_dir, f"crash-{uuid.uuid4().hex[:8]}")
    os.makedirs(directory)
    config = rig.simple_config({"spam": rig.quarantine_section(
        quarantine_type="file", quarantine_directory=directory)})
    conf_path = qmilter_config(config, "crash.conf")
    qmilterctl = os.path.join(rig.build_dir(), "bin", "qmilterctl")
    qmilter = start_qmilter(config)
    rcpt = rig.unique_address()

    pending = list(range(MESSAGES))
    lock = threading.Lock()
    refused = []       # sequence numbers to send again (temporary failure while qmilter was down)
    stop_watch = threading.Event()
    watch_errors = []
    listings = [0]

    def sender():
        while True:
            with lock:
                if not pending:
                    return
                seq = pending.pop(0)
            result = rig.send_mail(postfix.smtpd_host, postfix.smtpd_port, "s@example.org",
                                   [rcpt], message_of(seq, rcpt), timeout=60)
            if not result.accepted:
                final = result.final
                assert result.error or (final and 400 <= final[0] < 500), f"{seq}: {result}"
                with lock:
                    refused.append(seq)

    def watcher():
        # What qmilterctl lists must always be complete, even while qmilter is being killed.
        while not stop_watch.is_set():
            proc = subprocess.run([qmilterctl, "-c", conf_path, "quarantine", "spam", "list", "-b"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            try:
                assert proc.returncode == 0, proc.stderr
                for qid in proc.stdout.decode().split():
                    check_entry(directory, qid)
                listings[0] += 1
            except (AssertionError, ValueError, OSError) as e:
                watch_errors.append(repr(e))
                return

    threads = [threading.Thread(target=sender) for _ in range(SENDERS)]
    watch = threading.Thread(target=watcher)
    watch.start()
    for t in threads:
        t.start()
    try:
        # Kill when a good part of the stream is through, while messages are being written.
        rig.wait_until(lambda: sum(n.endswith(".metadata") for n in os.listdir(directory)) >= 60,
                       "60 entries before the kill", 60)
        qmilter.kill()
        stored_at_kill = sum(n.endswith(".metadata") for n in os.listdir(directory))
        qmilter = start_qmilter(config)
    finally:
        for t in threads:
            t.join(120)
    assert stored_at_kill < MESSAGES, "the stream ended before the kill; nothing was tested"

    # The client retries what was refused, as a sending MTA would.
    retried = len(refused)
    deadline = time.monotonic() + 60
    while refused and time.monotonic() < deadline:
        seq = refused.pop(0)
        result = rig.send_mail(postfix.smtpd_host, postfix.smtpd_port, "s@example.org", [rcpt],
                               message_of(seq, rcpt), timeout=60)
        if not result.accepted:
            refused.append(seq)
    stop_watch.set()
    watch.join(60)
    assert not refused, f"still refused after a minute: {refused}"
    assert not watch_errors, watch_errors
    assert listings[0] > 0

    listed = subprocess.run([qmilterctl, "-c", conf_path, "quarantine", "spam", "list", "-b"],
                            stdout=subprocess.PIPE, check=True).stdout.decode().split()
    seqs = [check_entry(directory, qid) for qid in listed]
    leftovers = [n for n in os.listdir(directory) if not n.endswith(".metadata") and n not in listed]
    print(f"stored at kill: {stored_at_kill}, refused and retried: {retried}, entries: {len(listed)} "
          f"(duplicates: {len(seqs) - len(set(seqs))}), leftovers: {leftovers}, listings: {listings[0]}")
    missing = sorted(set(range(MESSAGES)) - set(seqs))
    assert not missing, f"messages neither stored nor refused: {missing}"
    # Leftovers of the killed writes are hidden: only temporary files and data files whose
    # metadata never got its name, none of them listed.
    for name in os.listdir(directory):
        if name.endswith(".metadata"):
            continue
        assert name.startswith(".qmilter-") or name in listed or \
            not os.path.exists(os.path.join(directory, name + ".metadata")), name
