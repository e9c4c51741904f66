#!/usr/bin/python3
"""qmilter-web benchmark: what a recipient's page costs against GET /healthz, the server's
memory over many pages, and releases through a real SMTP relay, in one run:

  * a FILE quarantine holding one entry, a ~100 KB text/html message in pyquarantine's
    format, and its link (qmilterctl ... link); qmilter-web on a free loopback port;
  * GET /healthz and GET /m/<token> at concurrency 1, 4, 16 through qmilter_web_load
    (keep-alive clients), each case --rounds times, the two cases alternating (the order
    reversed every other round), the median reported, with qmilter-web's CPU per request;
  * a fresh qmilter-web's VmRSS after a 1,000-page warm-up and after 100,000 more pages;
  * --releases entries, one link each, each released once (GET the page for its CSRF
    value, then POST action=release; the POST is timed) at concurrency 4, through
    /usr/sbin/smtp-sink as the relay; every release is checked to have arrived there.

Prints a table with ratios (page / healthz) and checks the targets: page p99 <= 20 ms at
16 concurrent clients; VmRSS flat over the 100,000 pages (growth <= 1 MB). Exit status 0
even when a target is missed: this is a measurement, not a test.

usage: tests/bench/run-web-bench.py [--build BUILD_DIR] [--markdown] [--json FILE]
"""
import argparse
import glob
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from filter_process import FilterProcess  # noqa: E402

SMTP_SINK = "/usr/sbin/smtp-sink"
QUARANTINE = "spam"
PAGE_RECIPIENT = "alice@bench.example"
SENDER = "news@sender.bench.example"

CONFIG = """\
[global]
quarantines = spam
preferred_quarantine_action = first
state_dir = {state}
web_listen = 127.0.0.1:{port}
web_base_url = http://127.0.0.1:{port}/
web_secret_file = {secret}
# The default (30 actions per client address per minute) would refuse a burst of releases
# from one load generator; the limiter still runs for each POST.
web_post_limit = 100000

[spam]
regex = ^X-Spam-Flag: YES
quarantine_type = file
quarantine_directory = {quarantine}
notification_type = none
whitelist_type = none
action = discard
smtp_host = 127.0.0.1
smtp_port = {relay_port}
"""

ROW = """\
<tr><td style="padding:8px 16px;font-family:Arial,sans-serif;font-size:14px;color:#333333">
<a href="https://news.bench.example/track?id={i}&amp;u=alice" style="color:#0066cc">Article {i}</a>:
Prix sp&eacute;cial &ndash; r&eacute;sum&eacute; num&eacute;ro {i}, caf&eacute; cr&egrave;me inclus.
<img src="https://news.bench.example/pixel/{i}.gif" width="1" height="1" alt="">
</td></tr>
"""

TARGET_PAGE_P99_MS = 20.0   # GET /m/<token> at 16 concurrent clients
TARGET_RSS_GROWTH_MB = 1.0  # over the 100,000 pages after the warm-up


def parse_args():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.environ.get("QMILTER_BUILD_DIR",
                                                          os.path.join(repo, "build")))
    parser.add_argument("--duration", type=float, default=1.5, help="seconds per measured case")
    parser.add_argument("--warmup", type=int, default=50, help="requests before each case")
    parser.add_argument("--rounds", type=int, default=5, help="repetitions of each case")
    parser.add_argument("--concurrency", default="1,4,16")
    parser.add_argument("--message-bytes", type=int, default=100_000)
    parser.add_argument("--memory-warmup", type=int, default=1_000)
    parser.add_argument("--memory-requests", type=int, default=100_000)
    parser.add_argument("--memory-concurrency", type=int, default=16)
    parser.add_argument("--releases", type=int, default=200)
    parser.add_argument("--release-concurrency", type=int, default=4)
    parser.add_argument("--nice", type=int, default=-10,
                        help="niceness increment for this run and its children (root may "
                             "go below 0, so other work on the machine skews less)")
    parser.add_argument("--markdown", action="store_true", help="also print Markdown tables")
    parser.add_argument("--json", help="write every measured figure to this file")
    return parser.parse_args()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_listening(port):
    """Whether a socket listens on the TCP port, read from /proc (a probe connection would
    be one more client for the server)."""
    with open("/proc/net/tcp") as table:
        next(table)
        return any(f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port
                   for f in (line.split() for line in table))


class WebProcess(FilterProcess):
    """qmilter-web on a loopback port: ready when GET /healthz answers 200."""

    def __init__(self, binary, config, port, log_path):
        super().__init__("qmilter-web", [binary, "-c", config], None, log_path)
        self.port = port

    def wait_listening(self, deadline_s):
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"qmilter-web exited with {self.process.returncode}:\n"
                                   + self.log_tail())
            try:
                probe = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                probe.request("GET", "/healthz")
                if probe.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                probe.close()
            time.sleep(0.02)  # polling until it answers or the deadline
        raise RuntimeError(f"qmilter-web did not answer on port {self.port} within {deadline_s} s:\n"
                           + self.log_tail())


class SmtpSink:
    """Postfix's smtp-sink as the relay, dumping each message to its own file (written
    completely before it answers the final dot), so the releases can be counted."""

    def __init__(self, work):
        self.port = free_port()
        self.dump_dir = os.path.join(work, "sink")
        self.log_path = os.path.join(work, "smtp-sink.log")
        self.process = None

    def __enter__(self):
        os.makedirs(self.dump_dir)
        # It writes as nobody after binding: the dump directory must be reachable and writable.
        os.chmod(os.path.dirname(self.dump_dir), 0o711)
        os.chmod(self.dump_dir, 0o1777)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [SMTP_SINK, "-u", "nobody", "-h", "sink.bench.example", "-d",
                 os.path.join(self.dump_dir, "msg."), f"127.0.0.1:{self.port}", "64"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 10
        while not port_listening(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"smtp-sink did not listen on port {self.port}")
            time.sleep(0.02)  # polling /proc until it listens
        return self

    def messages(self):
        """The dumps that are complete (smtp-sink ends each with an empty line)."""
        done = []
        for path in glob.glob(os.path.join(self.dump_dir, "msg.*")):
            with open(path, "rb") as f:
                if f.read().endswith(b"\n\n"):
                    done.append(path)
        return done

    def log_tail(self, lines=20):
        with open(self.log_path, "rb") as log:
            return b"".join(log.readlines()[-lines:]).decode(errors="replace")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        return False


def newsletter_html(size):
    """Newsletter-like HTML of about `size` bytes: a 600-px table of rows with inline
    styles, tracking links, 1-px images and entities; CRLF line ends."""
    head = '<html><body><table width="600" cellpadding="0" cellspacing="0">\r\n'
    rows, total, i = [], len(head), 0
    while total < size:
        row = ROW.format(i=i).replace("\n", "\r\n")
        rows.append(row)
        total += len(row)
        i += 1
    return head + "".join(rows) + "</table></body></html>\r\n"


def add_entry(directory, qid, recipients, html, now):
    """An entry as pyquarantine's FileQuarantine.add() leaves it: the message (headers
    "Name: value", an empty line, the body) and <id>.metadata."""
    headers = [("From", f"News <{SENDER}>"), ("To", ", ".join(recipients)),
               ("Subject", "Weekly newsletter"), ("Date", "Wed, 02 Dec 2026 04:00:00 +0000"),
               ("Message-ID", f"<{qid}@sender.bench.example>"), ("MIME-Version", "1.0"),
               ("Content-Type", "text/html; charset=utf-8"),
               ("Content-Transfer-Encoding", "8bit"), ("X-Spam-Flag", "YES")]
    with open(os.path.join(directory, qid), "wb") as f:
        f.write("".join(f"{n}: {v}\n" for n, v in headers).encode() + b"\n" + html.encode())
    metadata = {"mailfrom": SENDER, "recipients": recipients,
                "headers": {n.lower(): v for n, v in headers}, "date": now,
                "queue_id": qid.split("_", 1)[1], "subgroups": ["YES"], "named_subgroups": {}}
    with open(os.path.join(directory, qid + ".metadata"), "w") as f:
        json.dump(metadata, f, indent=2)


def link_path(qmilterctl, config, qid, recipient):
    made = subprocess.run([qmilterctl, "-c", config, "quarantine", QUARANTINE, "link", qid,
                           "-t", recipient], capture_output=True, text=True, timeout=60)
    if made.returncode != 0:
        raise RuntimeError(f"qmilterctl link {qid}: {made.stderr}")
    url = made.stdout.strip()
    return url[url.index("/m/"):]


def run_web_load(load, port, concurrency, path=None, duration_s=None, requests=None, warmup=0,
                 extra=()):
    argv = [load, "-p", str(port), "-c", str(concurrency), "-w", str(warmup), "--json"]
    if path:
        argv += ["--path", path]
    if duration_s:
        argv += ["-d", str(duration_s)]
    if requests:
        argv += ["-n", str(requests)]
    run = subprocess.run(argv + list(extra), capture_output=True, text=True, timeout=1800)
    if run.returncode not in (0, 1) or not run.stdout.strip():
        raise RuntimeError(f"qmilter_web_load failed ({run.returncode}): {run.stderr}")
    report = json.loads(run.stdout)
    if report["errors"]:
        raise RuntimeError(f"qmilter_web_load: {report['errors']} errors: {report['first_errors']} "
                           f"(statuses {report['statuses']})")
    return report


def median_case(reports):
    return {"rate": statistics.median(r["requests_per_s"] for r in reports),
            "p50": statistics.median(r["latency_ms"]["p50"] for r in reports),
            "p99": statistics.median(r["latency_ms"]["p99"] for r in reports),
            "max": max(r["latency_ms"]["max"] for r in reports),
            "cpu_us": statistics.median(r["server_cpu_us"] for r in reports),
            "bytes": reports[0]["response_bytes_mean"],
            "rounds": [{"rate": r["requests_per_s"], "p50": r["latency_ms"]["p50"],
                        "p99": r["latency_ms"]["p99"], "requests": r["requests"],
                        "cpu_us": r["server_cpu_us"]} for r in reports]}


def measure_throughput(args, load, web, page, levels):
    cases = [("healthz", "/healthz"), ("page", page)]
    raw = {}
    for concurrency in levels:
        for round_number in range(args.rounds):
            # Alternate the order so a drift in the machine's load favours neither case.
            for name, path in cases if round_number % 2 == 0 else cases[::-1]:
                cpu_before = web.cpu_seconds()
                report = run_web_load(load, web.port, concurrency, path=path,
                                      duration_s=args.duration, warmup=args.warmup)
                # CPU per request is steadier than requests/s when other work shares the CPUs.
                report["server_cpu_us"] = (web.cpu_seconds() - cpu_before) * 1e6 / (
                    report["requests"] + args.warmup)
                raw.setdefault((name, concurrency), []).append(report)
                print(f"  {name:8} c={concurrency:<3} {report['requests_per_s']:9.1f} req/s  "
                      f"p50 {report['latency_ms']['p50']:.3f} ms  p99 {report['latency_ms']['p99']:.3f} ms"
                      f"  {report['server_cpu_us']:.0f} CPU µs/req", file=sys.stderr)
    return {key: median_case(reports) for key, reports in raw.items()}


def settled_memory(web, idle_threads, deadline_s=5.0):
    """The memory figures once the threads of the closed connections have ended (each
    connection has a thread and its stack), so every point is taken in the same state; at
    the deadline, as they are."""
    deadline = time.monotonic() + deadline_s
    while web.memory()["Threads"] > idle_threads and time.monotonic() < deadline:
        time.sleep(0.01)  # polling /proc until the connection threads are gone
    return web.memory()


def measure_memory(args, load, web, page):
    """VmRSS of a fresh qmilter-web after the warm-up pages, then after every fifth of the
    measured pages (so a trend shows, not only two points), each read with no connection
    open."""
    idle_threads = web.memory()["Threads"]
    run_web_load(load, web.port, args.memory_concurrency, path=page, requests=args.memory_warmup)
    points = [{"pages": args.memory_warmup, **settled_memory(web, idle_threads)}]
    step = args.memory_requests // 5
    done = 0
    started = time.monotonic()
    while done < args.memory_requests:
        batch = min(step, args.memory_requests - done)
        report = run_web_load(load, web.port, args.memory_concurrency, path=page, requests=batch)
        done += batch
        points.append({"pages": args.memory_warmup + done, **settled_memory(web, idle_threads),
                       "p99": report["latency_ms"]["p99"], "rate": report["requests_per_s"]})
        print(f"  memory: {args.memory_warmup + done:7} pages  VmRSS {points[-1]['VmRSS'] / 1024:.1f} MB  "
              f"VmHWM {points[-1]['VmHWM'] / 1024:.1f} MB  threads {points[-1]['Threads']}  "
              f"{report['requests_per_s']:.0f} pages/s", file=sys.stderr)
    return {"points": points, "seconds": time.monotonic() - started}


def measure_releases(args, load, web, qmilterctl, config, qdir, sink, html, now, work):
    paths = []
    for i in range(args.releases):
        qid = f"20261202040000_R{i:05d}"
        rcpt = f"user{i:05d}@bench.example"
        add_entry(qdir, qid, [rcpt], html, now)
        paths.append(link_path(qmilterctl, config, qid, rcpt))
    paths_file = os.path.join(work, "release-paths")
    with open(paths_file, "w") as f:
        f.write("\n".join(paths) + "\n")
    before = len(sink.messages())
    try:
        report = run_web_load(load, web.port, args.release_concurrency, requests=len(paths),
                              extra=["--paths-file", paths_file, "--form", "action=release",
                                     "--expect", "200"])
    except RuntimeError as error:
        raise RuntimeError(f"{error}\nqmilter-web log:\n{web.log_tail()}\nsmtp-sink log:\n"
                           f"{sink.log_tail()}") from None
    deadline = time.monotonic() + 30
    while len(sink.messages()) - before < len(paths) and time.monotonic() < deadline:
        time.sleep(0.05)  # polling the relay's dumps until all arrived or the deadline
    arrived = len(sink.messages()) - before
    left = [n for n in os.listdir(qdir) if n.startswith("20261202040000_R")]
    if arrived != len(paths) or left:
        raise RuntimeError(f"{arrived} of {len(paths)} releases arrived at the relay; "
                           f"{len(left)} files left in the quarantine")
    return {"releases": len(paths), "rate": report["requests_per_s"],
            "p50": report["latency_ms"]["p50"], "p99": report["latency_ms"]["p99"],
            "max": report["latency_ms"]["max"], "arrived": arrived}


def print_tables(results, levels, memory, releases, markdown, args):
    lines = ["| conc | healthz req/s | page req/s | ratio | healthz p50 ms | page p50 ms | ratio "
             "| healthz p99 ms | page p99 ms | ratio | healthz CPU µs/req | page CPU µs/req | ratio |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for c in levels:
        h, p = results[("healthz", c)], results[("page", c)]
        lines.append(f"| {c} | {h['rate']:.0f} | {p['rate']:.0f} | {p['rate'] / h['rate']:.3f} | "
                     f"{h['p50']:.3f} | {p['p50']:.3f} | {p['p50'] / h['p50']:.1f} | "
                     f"{h['p99']:.3f} | {p['p99']:.3f} | {p['p99'] / h['p99']:.1f} | "
                     f"{h['cpu_us']:.0f} | {p['cpu_us']:.0f} | {p['cpu_us'] / h['cpu_us']:.1f} |")
    lines.append("")
    lines.append(f"| qmilter-web, fresh, {args.memory_concurrency} clients | VmRSS MB | VmHWM MB | threads |")
    lines.append("|---|---:|---:|---:|")
    for point in memory["points"]:
        lines.append(f"| after {point['pages']:,} pages | {point['VmRSS'] / 1024:.1f} | "
                     f"{point['VmHWM'] / 1024:.1f} | {point['Threads']} |")
    first, last = memory["points"][0], memory["points"][-1]
    lines.append(f"| growth over {last['pages'] - first['pages']:,} pages | "
                 f"{(last['VmRSS'] - first['VmRSS']) / 1024:+.1f} | "
                 f"{(last['VmHWM'] - first['VmHWM']) / 1024:+.1f} | |")
    lines.append("")
    lines.append(f"| releases ({releases['releases']}, one each, {args.release_concurrency} clients) "
                 "| releases/s | POST p50 ms | POST p99 ms | POST max ms | arrived at the relay |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    lines.append(f"| GET page, POST action=release | {releases['rate']:.1f} | {releases['p50']:.2f} | "
                 f"{releases['p99']:.2f} | {releases['max']:.2f} | {releases['arrived']} |")
    if markdown:
        print("\n".join(lines))
    else:
        for line in lines:
            if line.startswith("|---"):
                continue
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            print("  ".join(f"{cell:>14}" for cell in cells) if line else "")


def check_targets(results, memory, levels):
    verdicts = []
    top = 16 if 16 in levels else max(levels)
    p99 = results[("page", top)]["p99"]
    verdicts.append((f"page p99 at c={top}: {p99:.2f} ms <= {TARGET_PAGE_P99_MS:.0f} ms",
                     p99 <= TARGET_PAGE_P99_MS))
    first, last = memory["points"][0], memory["points"][-1]
    growth = (last["VmRSS"] - first["VmRSS"]) / 1024
    verdicts.append((f"VmRSS growth over {last['pages'] - first['pages']:,} pages: {growth:+.2f} MB "
                     f"<= {TARGET_RSS_GROWTH_MB:.0f} MB", growth <= TARGET_RSS_GROWTH_MB))
    for text, ok in verdicts:
        print(f"target  {'met   ' if ok else 'MISSED'}  {text}")
    return verdicts


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    args = parse_args()
    load_before = load_average()
    if args.nice:
        try:
            os.nice(args.nice)
        except OSError as error:
            print(f"run-web-bench: cannot change niceness ({error}); running as is", file=sys.stderr)
    web_bin = os.path.join(args.build, "bin", "qmilter-web")
    qmilterctl = os.path.join(args.build, "bin", "qmilterctl")
    load = os.path.join(args.build, "tests", "bench", "qmilter_web_load")
    for path in (web_bin, qmilterctl, load, SMTP_SINK):
        if not os.access(path, os.X_OK):
            sys.exit(f"run-web-bench: {path} is missing; build qmilter-web, qmilterctl, "
                     "quarantine_file and qmilter_web_load first")
    levels = [int(c) for c in args.concurrency.split(",")]

    with tempfile.TemporaryDirectory(prefix="qmilter-web-bench-") as work, SmtpSink(work) as sink:
        qdir = os.path.join(work, "quarantine")
        os.makedirs(qdir)
        os.makedirs(os.path.join(work, "state"))
        config = os.path.join(work, "qmilter.conf")
        port = free_port()
        with open(config, "w") as f:
            f.write(CONFIG.format(state=os.path.join(work, "state"), port=port,
                                  secret=os.path.join(work, "web.secret"), quarantine=qdir,
                                  relay_port=sink.port))
        made = subprocess.run([qmilterctl, "-c", config, "web", "secret"], capture_output=True,
                              text=True, timeout=60)
        if made.returncode != 0:
            sys.exit(f"run-web-bench: qmilterctl web secret: {made.stderr}")
        now = int(time.time())
        html = newsletter_html(args.message_bytes)
        page_id = "20261202040000_PAGE1"
        add_entry(qdir, page_id, [PAGE_RECIPIENT], html, now)
        message_bytes = os.path.getsize(os.path.join(qdir, page_id))
        page = link_path(qmilterctl, config, page_id, PAGE_RECIPIENT)

        def web(tag):
            return WebProcess(web_bin, config, port, os.path.join(work, f"web-{tag}.log"))

        print(f"throughput: {args.rounds} rounds x {args.duration} s per case "
              f"(warm-up {args.warmup} requests), message {message_bytes:,} B", file=sys.stderr)
        with web("load") as proc:
            results = measure_throughput(args, load, proc, page, levels)
        print(f"memory: {args.memory_warmup:,} + {args.memory_requests:,} pages", file=sys.stderr)
        with web("memory") as proc:  # fresh, so the warm-up point is this test's own
            memory = measure_memory(args, load, proc, page)
        print(f"releases: {args.releases} at concurrency {args.release_concurrency}", file=sys.stderr)
        with web("release") as proc:
            releases = measure_releases(args, load, proc, qmilterctl, config, qdir, sink, html, now, work)

    print()
    print(f"machine: {os.cpu_count()} CPUs, niceness {os.nice(0)}, load average {load_before} before, "
          f"{load_average()} after (other processes skew absolute figures; ratios are of "
          "interleaved runs)")
    print(f"message: {message_bytes:,} B text/html; page {results[('page', levels[0])]['bytes']:,.0f} B, "
          f"healthz {results[('healthz', levels[0])]['bytes']:,.0f} B; memory phase "
          f"{memory['seconds']:.0f} s")
    print_tables(results, levels, memory, releases, args.markdown, args)
    print()
    verdicts = check_targets(results, memory, levels)
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"throughput": {f"{n}/{c}": v for (n, c), v in results.items()},
                       "memory": memory, "releases": releases,
                       "targets": [{"target": t, "met": ok} for t, ok in verdicts]}, out, indent=2)


if __name__ == "__main__":
    main()
