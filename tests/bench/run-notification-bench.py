#!/usr/bin/python3
"""Notification benchmark: milter latency of matched mail with the email notifier enabled vs
disabled, at concurrency 8 (target: p99 enabled <= 2x p99 disabled).

Four qmilter processes, each with one quarantine (header regex, DISCARD), run interleaved:
  none+none    quarantine_type = none, notification_type = none (decided at end of headers)
  none+email   quarantine_type = none, notification_type = email
  file+none    quarantine_type = file, notification_type = none
  file+email   quarantine_type = file, notification_type = email
The email cases use the default template (so every message gets its preview extracted and
sanitized) and an smtp-sink relay, so the outbox drains while the load runs. Each message
has two recipients: two notifications, each written with fsync + rename + directory fsync
before the milter answers. The target compares none+email with none+none; file+email
against file+none shows the notifier's cost on top of a store that also fsyncs.
Cases are interleaved over --rounds and the median is reported.

usage: tests/bench/run-notification-bench.py [--build BUILD_DIR] [--markdown]
Exit status 0 even when the target is missed: this is a measurement, not a test.
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from filter_process import FilterProcess  # noqa: E402
from web_secret import make_web_secret  # noqa: E402
from loadgen import run_load  # noqa: E402

MATCH_HEADER = "X-Spam-Flag: YES"
TARGET_P99 = 2.0

BASE = """\
[global]
quarantines = spam
preferred_quarantine_action = first
state_dir = {state}
web_base_url = https://quarantine.bench.example
web_secret_file = {secret}

[spam]
regex = ^X-Spam-Flag: YES
whitelist_type = none
action = discard
smtp_host = 127.0.0.1
smtp_port = {port}
"""
NONE_STORE = "quarantine_type = none\n"
FILE_STORE = "quarantine_type = file\nquarantine_directory = {qdir}\n"
DISABLED = "notification_type = none\n"
ENABLED = """\
notification_type = email
notification_email_envelope_from = notify@bench.example
notification_email_from = Quarantine <notify@bench.example>
notification_email_subject = Quarantined: {{EMAIL_SUBJECT}}
notification_email_template = {template}
notification_email_replacement_img = {image}
"""
CASES = (("none+none", NONE_STORE, DISABLED), ("none+email", NONE_STORE, ENABLED),
         ("file+none", FILE_STORE, DISABLED), ("file+email", FILE_STORE, ENABLED))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, deadline_s=10.0):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"smtp-sink did not listen on port {port}")


def parse_args():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.environ.get("QMILTER_BUILD_DIR", os.path.join(repo, "build")))
    parser.add_argument("--source", default=repo)
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--body-size", type=int, default=4096)
    parser.add_argument("--markdown", action="store_true")
    return parser.parse_args()


def write_configs(args, work, port):
    configs = {}
    for name, store, extra in CASES:
        qdir = os.path.join(work, f"quarantine-{name}")
        os.makedirs(qdir)
        text = (BASE.format(state=os.path.join(work, f"state-{name}"), port=port, secret=make_web_secret(work))
                + store.format(qdir=qdir)
                + extra.format(template=os.path.join(args.source, "templates", "notification.template"),
                               image=os.path.join(args.source, "templates", "removed.png")))
        path = os.path.join(work, f"{name}.conf")
        with open(path, "w") as f:
            f.write(text)
        configs[name] = path
    return configs


def measure(args, work, configs):
    loadgen = os.path.join(args.build, "tests", "bench", "milter_loadgen")
    qmilter = os.path.join(args.build, "bin", "qmilter")
    results = {}
    filters = {}
    try:
        for name, path in configs.items():
            socket_path = os.path.join(work, f"{name}.sock")
            filters[name] = FilterProcess(name, [qmilter, "-s", f"unix:{socket_path}", "-c", path],
                                          socket_path, os.path.join(work, f"{name}.log")).start()
        extra = ["-H", MATCH_HEADER, "-r", "alice@bench.example", "-r", "bob@bench.example",
                 "--body-size", str(args.body_size)]
        for _ in range(args.rounds):
            for name, process in filters.items():
                report = run_load(loadgen, process.socket_spec, args.concurrency,
                                  duration_s=args.duration, warmup=args.warmup, extra=extra)
                if report["verdicts"]["discard"] != report["messages"]:
                    raise RuntimeError(f"{name}: verdicts {report['verdicts']}")
                results.setdefault(name, []).append(report)
                print(f"  {name:11} c={args.concurrency} {report['msgs_per_s']:8.1f} msgs/s "
                      f"p50 {report['latency_ms']['p50']:.2f} ms p99 {report['latency_ms']['p99']:.2f} ms",
                      file=sys.stderr)
    finally:
        for process in filters.values():
            process.stop()
    return {name: {"rate": statistics.median(r["msgs_per_s"] for r in reports),
                   "p50": statistics.median(r["latency_ms"]["p50"] for r in reports),
                   "p99": statistics.median(r["latency_ms"]["p99"] for r in reports)}
            for name, reports in results.items()}


def report(args, med, delivered):
    ratio = med["none+email"]["p99"] / med["none+none"]["p99"]
    ratio_file = med["file+email"]["p99"] / med["file+none"]["p99"]
    print(f"matched mail, 2 recipients, {args.body_size} B body, concurrency {args.concurrency}, "
          f"median of {args.rounds} x {args.duration:.0f} s")
    for name, _, _ in CASES:
        m = med[name]
        print(f"  {name:11} {m['rate']:8.1f} msgs/s  p50 {m['p50']:7.2f} ms  p99 {m['p99']:7.2f} ms")
    print(f"  p99 none+email / none+none = {ratio:.2f}x (target <= {TARGET_P99}x): "
          f"{'met' if ratio <= TARGET_P99 else 'MISSED'}")
    print(f"  p99 file+email / file+none = {ratio_file:.2f}x")
    print(f"  notifications delivered to the relay during the run: {delivered}")
    if args.markdown:
        print("\n| store+notification | msgs/s | p50 ms | p99 ms |\n|---|---:|---:|---:|")
        for name, _, _ in CASES:
            m = med[name]
            print(f"| {name} | {m['rate']:.1f} | {m['p50']:.2f} | {m['p99']:.2f} |")
        print(f"\np99 none+email / none+none: **{ratio:.2f}x** (target ≤ {TARGET_P99}x); "
              f"file+email / file+none: {ratio_file:.2f}x")


def main():
    args = parse_args()
    work = tempfile.mkdtemp(prefix="qmilter-notify-bench.")
    os.chmod(work, 0o755)  # smtp-sink writes its dumps as nobody
    sink = None
    try:
        port = free_port()
        sink_dir = os.path.join(work, "sink")
        os.makedirs(sink_dir)
        os.chmod(sink_dir, 0o1777)
        # -d: write every message to a file, as a real relay would.
        sink = subprocess.Popen(["/usr/sbin/smtp-sink", "-u", "nobody", "-d", os.path.join(sink_dir, "m."),
                                 f"127.0.0.1:{port}", "256"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening(port)
        med = measure(args, work, write_configs(args, work, port))
        report(args, med, len(os.listdir(sink_dir)))
    finally:
        if sink is not None:
            sink.kill()
            sink.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
