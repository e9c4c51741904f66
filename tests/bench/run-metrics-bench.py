#!/usr/bin/python3
"""Metrics benchmark: the same qmilter configuration (one quarantine, a header regex, NONE
storage + DISCARD) run twice side by side, once without metrics_listen and once with it and
a scraper fetching /metrics 10 times a second for the whole run. Clean and matched mail at
concurrency 1, 8, 64 through both, rounds interleaved (the order alternates), medians
reported with the ratio on/off. Target: clean mail with metrics >= 0.98x without.

Exit status 0 even when the target is missed: this is a measurement, not a test.

usage: tests/bench/run-metrics-bench.py [--build BUILD_DIR] [--rounds N] [--markdown]
"""
import argparse
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from filter_process import FilterProcess  # noqa: E402
from loadgen import run_load  # noqa: E402

MATCH_HEADER = "X-Spam-Flag: YES"
CONFIG = """\
[global]
quarantines = spam
preferred_quarantine_action = last
{metrics}

[spam]
regex = ^X-Spam-Flag: YES
quarantine_type = none
notification_type = none
whitelist_type = none
action = discard
smtp_host = 127.0.0.1
smtp_port = 25
"""
TARGET = 0.98
SCRAPES_PER_S = 10


def parse_args():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.environ.get("QMILTER_BUILD_DIR", os.path.join(repo, "build")))
    parser.add_argument("--duration", type=float, default=1.5, help="seconds per measured case")
    parser.add_argument("--warmup", type=int, default=200, help="messages before each case")
    parser.add_argument("--rounds", type=int, default=7, help="repetitions of each case")
    parser.add_argument("--concurrency", default="1,8,64")
    parser.add_argument("--nice", type=int, default=-10)
    parser.add_argument("--markdown", action="store_true")
    return parser.parse_args()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Scraper(threading.Thread):
    """Fetches /metrics SCRAPES_PER_S times a second until stopped; counts what it got."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.url = f"http://127.0.0.1:{port}/metrics"
        self.stopped = threading.Event()
        self.scrapes = 0
        self.last = ""

    def run(self):
        while not self.stopped.is_set():
            started = time.monotonic()
            with urllib.request.urlopen(self.url, timeout=5) as answer:
                self.last = answer.read().decode()
            self.scrapes += 1
            self.stopped.wait(max(0.0, 1.0 / SCRAPES_PER_S - (time.monotonic() - started)))


def counted(text, verdict):
    line = f'qmilter_messages_total{{verdict="{verdict}"}} '
    for row in text.splitlines():
        if row.startswith(line):
            return int(row[len(line):])
    return None


def main():
    args = parse_args()
    if args.nice:
        try:
            os.nice(args.nice)
        except OSError:
            pass
    loadgen = os.path.join(args.build, "tests", "bench", "milter_loadgen")
    qmilter_bin = os.path.join(args.build, "bin", "qmilter")
    for path in (loadgen, qmilter_bin):
        if not os.access(path, os.X_OK):
            sys.exit(f"run-metrics-bench: {path} is missing; build qmilter and milter_loadgen first")
    levels = [int(c) for c in args.concurrency.split(",")]
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="qmilter-metrics-bench-") as work:
        def qmilter(tag, metrics):
            config = os.path.join(work, f"{tag}.conf")
            with open(config, "w") as out:
                out.write(CONFIG.format(metrics=f"metrics_listen = 127.0.0.1:{port}" if metrics else ""))
            sock = os.path.join(work, f"{tag}.sock")
            return FilterProcess(tag, [qmilter_bin, "-s", "unix:" + sock, "-c", config], sock,
                                 os.path.join(work, f"{tag}.log"))

        raw = {}
        with qmilter("off", False) as off, qmilter("on", True) as on:
            scraper = Scraper(port)
            scraper.start()
            started = time.monotonic()
            cases = [("off", off), ("on", on)]
            for concurrency in levels:
                for round_number in range(args.rounds):
                    for kind, extra in (("clean", []), ("matched", ["-H", MATCH_HEADER])):
                        for name, process in (cases if round_number % 2 == 0 else cases[::-1]):
                            cpu_before = process.cpu_seconds()
                            report = run_load(loadgen, process.socket_spec, concurrency,
                                              duration_s=args.duration, warmup=args.warmup, extra=extra)
                            # CPU per message is steadier than msgs/s when other work shares the CPUs.
                            cpu_us = (process.cpu_seconds() - cpu_before) * 1e6 / (report["messages"] + report["warmup"])
                            raw.setdefault((name, kind, concurrency), []).append((report["msgs_per_s"], cpu_us))
                            print(f"  metrics {name:3} {kind:7} c={concurrency:<3} {report['msgs_per_s']:9.1f} msgs/s"
                                  f"  {cpu_us:.0f} CPU µs/msg", file=sys.stderr)
            scraper.stopped.set()
            scraper.join()
            elapsed = time.monotonic() - started
            accepted = counted(scraper.last, "accept")
    with open("/proc/loadavg") as f:
        print(f"load average after the run: {' '.join(f.read().split()[:3])}")
    print(f"scrapes: {scraper.scrapes} in {elapsed:.0f} s ({scraper.scrapes / elapsed:.1f}/s); "
          f"the last one counted {accepted} accepted messages")
    lines = ["| mail | conc | metrics off msgs/s | metrics on msgs/s | on/off | off CPU µs/msg | on CPU µs/msg | on/off |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    verdicts = []
    for kind in ("clean", "matched"):
        for c in levels:
            off_rate, off_cpu = (statistics.median(x) for x in zip(*raw[("off", kind, c)]))
            on_rate, on_cpu = (statistics.median(x) for x in zip(*raw[("on", kind, c)]))
            ratio = on_rate / off_rate
            lines.append(f"| {kind} | {c} | {off_rate:.0f} | {on_rate:.0f} | {ratio:.3f} | {off_cpu:.0f} | {on_cpu:.0f} "
                         f"| {on_cpu / off_cpu:.3f} |")
            if kind == "clean":
                verdicts.append((f"clean c={c}: on/off {ratio:.3f} >= {TARGET}", ratio >= TARGET))
    for line in lines:
        if args.markdown or not line.startswith("|---"):
            print(line)
    for text, ok in verdicts:
        print(f"target  {'met   ' if ok else 'MISSED'}  {text}")


if __name__ == "__main__":
    main()
