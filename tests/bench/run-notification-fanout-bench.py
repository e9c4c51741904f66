#!/usr/bin/python3
"""Benchmark: what one quarantined message to many recipients costs the EMAIL notifier in
outbox bytes on disk and in daemon memory, for 1, 10, 100 and 1000 recipients.

For each recipient count N, a fresh qmilter process with a fresh state_dir and one
quarantine (header regex, quarantine_type = none, notification_type = email with the
default template and replacement image, action = discard) gets one matched message with a
~250 KB text/html body and N envelope recipients, through milter_loadgen. The relay is a
closed loopback port, so every notification stays in the outbox. Once the milter has
answered and the sender thread has made its first (failed) attempt, the script sums the
sizes of the files under the outbox and reads qmilter's VmHWM from /proc, then stops it.
Prints both per N with their ratios to N = 1, and the outbox bytes each added recipient
costs: with the preview stored once, that is a recipient's own small part (headers, the
rendered template), not a copy of the message, so neither figure grows as message x N.

usage: tests/bench/run-notification-fanout-bench.py [--build BUILD_DIR] [--markdown]
                                                    [--recipients 1,10,100,1000]
Exit status 0 always: this is a measurement, not a test.
"""
import argparse
import os
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from filter_process import FilterProcess  # noqa: E402
from web_secret import make_web_secret  # noqa: E402
from loadgen import run_load  # noqa: E402

MATCH_HEADER = "X-Spam-Flag: YES"

CONFIG = """\
[global]
quarantines = spam
preferred_quarantine_action = first
state_dir = {state}
web_base_url = https://quarantine.bench.example
web_secret_file = {secret}

[spam]
regex = ^X-Spam-Flag: YES
whitelist_type = none
quarantine_type = none
action = discard
smtp_host = 127.0.0.1
smtp_port = {port}
notification_type = email
notification_email_envelope_from = notify@bench.example
notification_email_from = Quarantine <notify@bench.example>
notification_email_subject = Quarantined: {{EMAIL_SUBJECT}}
notification_email_template = {template}
notification_email_replacement_img = {image}
"""

ROW = """\
<tr><td style="padding:8px 16px;font-family:Arial,sans-serif;font-size:14px;color:#333333">
<a href="https://news.bench.example/track?id={i}&amp;u=alice" style="color:#0066cc">Article {i}</a>:
Prix sp&eacute;cial &ndash; r&eacute;sum&eacute; num&eacute;ro {i}, caf&eacute; cr&egrave;me inclus.
<img src="https://news.bench.example/pixel/{i}.gif" width="1" height="1" alt="">
</td></tr>
"""


def newsletter_eml(size):
    """A single-part text/html message of about `size` bytes: a 600-px table of rows with
    inline styles, tracking links, 1-px images and entities."""
    head = ("From: News <news@sender.bench.example>\r\nTo: many@bench.example\r\n"
            "Subject: Weekly newsletter\r\nMessage-ID: <fanout@sender.bench.example>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
            "<html><body><table width=\"600\" cellpadding=\"0\" cellspacing=\"0\">\r\n")
    rows, i = [], 0
    while len(head) + sum(map(len, rows)) < size:
        rows.append(ROW.format(i=i).replace("\n", "\r\n"))
        i += 1
    return (head + "".join(rows) + "</table></body></html>\r\n").encode()


def closed_port():
    """A loopback port nothing listens on (bound, then closed): connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_bytes(top):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(top) for f in files)


def wait_first_attempt(process, deadline_s=30.0):
    """Waits until the sender logged its first incomplete attempt (so its reading of the
    outbox file counts in VmHWM); at the deadline says so, and the figure may miss it."""
    deadline = time.monotonic() + deadline_s
    while "attempt 1 incomplete" not in process.log_tail(200):
        if time.monotonic() >= deadline:
            print(f"note: {process.name}: no first send attempt logged within {deadline_s:.0f} s; "
                  "VmHWM may not include reading the outbox file", file=sys.stderr)
            return
        time.sleep(0.05)  # polling the log until the line or the deadline


def measure_one(args, work, eml, recipients):
    case = os.path.join(work, f"n{recipients}")
    state = os.path.join(case, "state")
    os.makedirs(state)
    config = os.path.join(case, "qmilter.conf")
    with open(config, "w") as f:
        f.write(CONFIG.format(state=state, port=closed_port(), secret=make_web_secret(case),
                              template=os.path.join(args.source, "templates", "notification.template"),
                              image=os.path.join(args.source, "templates", "removed.png")))
    socket_path = os.path.join(case, "qmilter.sock")
    rcpts = [a for i in range(recipients) for a in ("-r", f"user{i:04d}@bench.example")]
    process = FilterProcess(f"qmilter-n{recipients}",
                            [os.path.join(args.build, "bin", "qmilter"), "-s", f"unix:{socket_path}",
                             "-c", config], socket_path, os.path.join(case, "qmilter.log"))
    with process:
        report = run_load(os.path.join(args.build, "tests", "bench", "milter_loadgen"),
                          process.socket_spec, 1, messages=1,
                          extra=["-e", eml, "-H", MATCH_HEADER, "--timeout", "120"] + rcpts)
        answered_ms = report["latency_ms"]["max"]  # connect() to the verdict
        if report["verdicts"]["discard"] != 1:
            raise RuntimeError(f"N={recipients}: verdicts {report['verdicts']}\n{process.log_tail()}")
        wait_first_attempt(process)
        memory = process.memory()
        outbox = tree_bytes(os.path.join(state, "outbox"))
    result = {"n": recipients, "outbox": outbox, "hwm_kb": memory["VmHWM"], "answered_ms": answered_ms}
    print(f"  N={recipients:5}  outbox {outbox:>12,} B  VmHWM {memory['VmHWM'] / 1024:7.1f} MB  "
          f"answered in {answered_ms:.0f} ms", file=sys.stderr)
    return result


def report(args, message_bytes, results):
    base = results[0]
    print(f"one matched message ({message_bytes:,} B, text/html) to N recipients; "
          f"ratios to N = {base['n']}")
    print(f"  {'N':>5}  {'outbox B':>12}  {'ratio':>7}  {'VmHWM MB':>8}  {'ratio':>6}  {'answer ms':>9}")
    for r in results:
        print(f"  {r['n']:5}  {r['outbox']:12,}  {r['outbox'] / base['outbox']:6.2f}x  "
              f"{r['hwm_kb'] / 1024:8.1f}  {r['hwm_kb'] / base['hwm_kb']:5.2f}x  {r['answered_ms']:9.0f}")
    if args.markdown:
        print(f"\n| recipients | outbox bytes | × N={base['n']} | VmHWM MB | × N={base['n']} | milter answer ms |\n"
              "|---:|---:|---:|---:|---:|---:|")
        for r in results:
            print(f"| {r['n']} | {r['outbox']:,} | {r['outbox'] / base['outbox']:.2f} | "
                  f"{r['hwm_kb'] / 1024:.1f} | {r['hwm_kb'] / base['hwm_kb']:.2f} | {r['answered_ms']:.0f} |")
    last = results[-1]
    if last["n"] > base["n"]:
        per = (last["outbox"] - base["outbox"]) / (last["n"] - base["n"])
        print(f"\noutbox bytes per added recipient (N={base['n']} to {last['n']}): {per:,.0f} B "
              f"(the message: {message_bytes:,} B)")


def parse_args():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.environ.get("QMILTER_BUILD_DIR", os.path.join(repo, "build")))
    parser.add_argument("--source", default=repo)
    parser.add_argument("--recipients", default="1,10,100,1000",
                        help="comma-separated recipient counts; the first is the ratios' base")
    parser.add_argument("--html-size", type=int, default=250_000)
    parser.add_argument("--markdown", action="store_true")
    return parser.parse_args()


def main():
    args = parse_args()
    work = tempfile.mkdtemp(prefix="qmilter-fanout-bench.")
    try:
        eml = os.path.join(work, "newsletter.eml")
        message = newsletter_eml(args.html_size)
        with open(eml, "wb") as f:
            f.write(message)
        results = [measure_one(args, work, eml, int(n)) for n in args.recipients.split(",")]
        report(args, len(message), results)
    except Exception as error:  # a measurement: say what went wrong, exit 0
        print(f"run-notification-fanout-bench: {error}", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
