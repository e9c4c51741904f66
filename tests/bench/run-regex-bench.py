#!/usr/bin/python3
"""Regex benchmark: how long the milter takes to answer, and what it answers, when a
quarantine regex meets headers that make PCRE2's backtracking explode, against an ordinary
verdict regex on clean mail.

Six qmilter processes, each with one quarantine (quarantine_type = none,
notification_type = none, whitelist_type = none, action = discard) and its own regex:
  baseline        `^X-Spam-Flag: YES` on a clean ordinary message (12 headers)
  report, rule    `^X-Spam-Report:(.|\\n)*BAYES_99` on the same message plus a folded
                  X-Spam-Report of 30 rule lines (with digits) ending in BAYES_99: discard
  report, none    the same regex and report ending in BAYES_00: backtracking reaches
                  regex_match_limit, the DFA matcher decides "no match": accept
  (a+)+$          `(a+)+$` on the message plus 1,000 headers `X-A<n>: aaa...a!` (40 a's):
                  every header costs its whole match limit, so the message's
                  regex_time_limit (default 2000 ms) runs out: tempfail
  (a+)+$, 200 ms  the same with regex_time_limit = 200
  one long header `(a+)+$` on one folded 60 KB header of 18-`a` runs: each start position
                  stays under the match limit, so only the deadline, checked at every start
                  position, ends the search: tempfail after regex_time_limit
Each message goes alone (milter_loadgen -c 1 -n 1, one recipient); the cases are
interleaved over --messages rounds after --warmup uncounted messages each. Reports per case
the verdict, the median and max time from connect() to the milter's verdict, the ratio of
the median to the baseline's, and the milter's CPU time per message (utime + stime from
/proc, 10 ms ticks). For a tempfail, the header at which the milter gave up is read from
its log.

usage: tests/bench/run-regex-bench.py [--build BUILD_DIR] [--markdown] [--messages 5]
                                      [--warmup 1]
Exit status 0 always: this is a measurement, not a test.
"""
import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from filter_process import FilterProcess  # noqa: E402
from loadgen import run_load  # noqa: E402

CONFIG = """\
[global]
quarantines = spam
preferred_quarantine_action = first
state_dir = {state}
{global_extra}
[spam]
regex = {regex}
whitelist_type = none
quarantine_type = none
notification_type = none
action = discard
smtp_host = 127.0.0.1
smtp_port = 25
"""

# The headers of milter_loadgen's built-in message, so the baseline is the core bench's clean mail.
ORDINARY_HEADERS = [
    ("Received", "from client.bench.example (client.bench.example [192.0.2.10])\r\n"
                 "\tby mx.bench.example (Postfix) with ESMTPS id 4Zb3kq1Xyz\r\n"
                 "\tfor <alice@bench.example>; Tue, 24 Nov 2026 12:00:00 +0000 (UTC)"),
    ("Received", "from [10.0.0.5] (unknown [198.51.100.7])\r\n"
                 "\tby client.bench.example (Postfix) with ESMTPSA id 9QpLm2Abc\r\n"
                 "\tfor <alice@bench.example>; Tue, 24 Nov 2026 11:59:59 +0000 (UTC)"),
    ("DKIM-Signature", "v=1; a=rsa-sha256; c=relaxed/relaxed; d=bench.example; s=mail;\r\n"
                       "\tt=1795521600; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n"
                       "\th=From:To:Subject:Date:Message-ID;\r\n"
                       "\tb=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZSwganVzdCBhIGJlbmNobWFyayBmaWxsZXI="),
    ("From", "Bob Sender <bob@client.bench.example>"),
    ("To", "Alice Receiver <alice@bench.example>"),
    ("Subject", "Quarterly figures for review"),
    ("Date", "Tue, 24 Nov 2026 11:59:58 +0000"),
    ("Message-ID", "<20261124115958.12345@client.bench.example>"),
    ("MIME-Version", "1.0"),
    ("Content-Type", "text/plain; charset=UTF-8"),
    ("Content-Transfer-Encoding", "8bit"),
    ("X-Mailer", "bench-loadgen"),
]
BODY = ("Hello Alice,\r\n\r\nplease find the quarterly figures below.\r\n\r\n"
        "  Region      Q1      Q2      Q3\r\n  North     1200    1350    1410\r\n"
        "  South      980    1010     995\r\n\r\nBest regards,\r\nBob\r\n")

REPORT_REGEX = r"^X-Spam-Report:(.|\n)*BAYES_99"
NESTED_REGEX = r"(a+)+$"


def spam_report(lines, last_rule):
    """A SpamAssassin-style X-Spam-Report folded over `lines` rule lines, then `last_rule`."""
    rules = "".join(f"\r\n\t*  0.{i % 10} URIBL_BLOCKED ADMINISTRATOR NOTICE: The query to URIBL was 1.{i}"
                    for i in range(lines))
    return ("Content analysis details:   (6.1 points, 5.0 required)" + rules +
            f"\r\n\t*  3.5 {last_rule} BODY: Bayes spam probability is 99 to 100%")


NESTED_HEADERS = [(f"X-A{n}", "a" * 40 + "!") for n in range(1000)]
RUNS_HEADER = [("X-Runs", "\r\n\t".join(("a" * 18 + "!") * 52 for _ in range(60)))]

# name, regex, [global] lines, headers added to the ordinary message, expected verdict
CASES = (
    ("baseline", r"^X-Spam-Flag: YES", "", [], "accept"),
    ("report, rule", REPORT_REGEX, "", [("X-Spam-Report", spam_report(30, "BAYES_99"))], "discard"),
    ("report, none", REPORT_REGEX, "", [("X-Spam-Report", spam_report(30, "BAYES_00"))], "accept"),
    ("(a+)+$", NESTED_REGEX, "", NESTED_HEADERS, "tempfail"),
    ("(a+)+$, 200 ms", NESTED_REGEX, "regex_time_limit = 200\n", NESTED_HEADERS, "tempfail"),
    ("one long header", NESTED_REGEX, "", RUNS_HEADER, "tempfail"),
)


def eml(extra_headers):
    head = "".join(f"{name}: {value}\r\n" for name, value in ORDINARY_HEADERS + extra_headers)
    return (head + "\r\n" + BODY).encode()


def verdict_of(report):
    """The one verdict of a one-message report, e.g. "discard@eoh"."""
    decided = [key for key, n in report["decided_at"].items() if n]
    if decided:
        return decided[0]
    return ",".join(name for name, n in report["verdicts"].items() if n) or "none"


def give_up_line(process):
    """The last "could not be decided" reason in the milter's log, shortened."""
    lines = [line for line in process.log_tail(400).splitlines() if "could not be decided" in line]
    if not lines:
        return None
    found = re.search(r"regex on header '([^']*)' could not be decided: (.*)", lines[-1])
    return f"gave up at header {found.group(1)}: {found.group(2)}" if found else lines[-1]


def start_filters(args, work):
    filters = {}
    for i, (name, regex, global_extra, headers, _) in enumerate(CASES):
        case = os.path.join(work, f"case{i}")
        os.makedirs(os.path.join(case, "state"))
        config = os.path.join(case, "qmilter.conf")
        with open(config, "w") as f:
            f.write(CONFIG.format(state=os.path.join(case, "state"), regex=regex, global_extra=global_extra))
        message = os.path.join(case, "message.eml")
        with open(message, "wb") as f:
            f.write(eml(headers))
        socket_path = os.path.join(case, "qmilter.sock")
        process = FilterProcess(f"qmilter-case{i}", [os.path.join(args.build, "bin", "qmilter"),
                                                     "-s", f"unix:{socket_path}", "-c", config],
                                socket_path, os.path.join(case, "qmilter.log"))
        filters[name] = (process.start(), message, os.path.getsize(message))
    return filters


def measure(args, work):
    loadgen = os.path.join(args.build, "tests", "bench", "milter_loadgen")
    results = {name: {"ms": [], "cpu": [], "verdicts": []} for name, *_ in CASES}
    filters = {}
    try:
        filters = start_filters(args, work)
        for round_no in range(args.warmup + args.messages):
            counted = round_no >= args.warmup
            for name, (process, message, _) in filters.items():
                cpu_before = process.cpu_seconds()
                report = run_load(loadgen, process.socket_spec, 1, messages=1,
                                  extra=["-e", message, "--timeout", "120"])
                cpu_ms = (process.cpu_seconds() - cpu_before) * 1000
                ms = report["latency_ms"]["max"]
                verdict = verdict_of(report)
                print(f"  {'' if counted else 'warm-up '}{name:15} {verdict:14} {ms:9.1f} ms  "
                      f"CPU {cpu_ms:6.0f} ms", file=sys.stderr)
                if counted:
                    results[name]["ms"].append(ms)
                    results[name]["cpu"].append(cpu_ms)
                    results[name]["verdicts"].append(verdict)
        for name, (process, message, size) in filters.items():
            results[name]["bytes"] = size
            results[name]["gave_up"] = give_up_line(process)
    finally:
        for process, _, _ in filters.values():
            process.stop()
    return results


def summary(args, results):
    rows = []
    base = statistics.median(results["baseline"]["ms"])
    for name, regex, _, _, expected in CASES:
        r = results[name]
        counts = {v: r["verdicts"].count(v) for v in dict.fromkeys(r["verdicts"])}
        verdict = " ".join(v if n == len(r["verdicts"]) else f"{v}×{n}" for v, n in counts.items())
        unexpected = any(v.split("@")[0] != expected for v in r["verdicts"])
        median = statistics.median(r["ms"])
        rows.append({"name": name, "regex": regex, "bytes": r["bytes"], "verdict": verdict,
                     "expected": expected, "unexpected": unexpected, "median": median,
                     "max": max(r["ms"]), "ratio": median / base,
                     "cpu": sum(r["cpu"]) / len(r["cpu"]), "gave_up": r["gave_up"]})
    return rows


def report(args, rows):
    print(f"one message at a time (concurrency 1), {args.messages} per case, interleaved; "
          f"answer = connect() to verdict")
    print(f"  {'case':15} {'message B':>9}  {'verdict':14} {'median ms':>9} {'max ms':>9} "
          f"{'× base':>8} {'CPU ms/msg':>10}  (CPU: mean, 10 ms ticks)")
    for r in rows:
        print(f"  {r['name']:15} {r['bytes']:9,}  {r['verdict']:14} {r['median']:9.1f} {r['max']:9.1f} "
              f"{r['ratio']:7.1f}x {r['cpu']:10.0f}"
              + (f"   (expected {r['expected']})" if r["unexpected"] else ""))
    for r in rows:
        if r["gave_up"]:
            print(f"  {r['name']}, last message: {r['gave_up']}")
    if args.markdown:
        print("\n| case | regex | verdict | median ms | max ms | × baseline | CPU ms/msg |\n"
              "|---|---|---|---:|---:|---:|---:|")
        for r in rows:
            verdict = r["verdict"] + (f" (expected {r['expected']})" if r["unexpected"] else "")
            regex = r["regex"].replace("|", "\\|")  # a pipe inside a table cell
            print(f"| {r['name']} | `{regex}` | {verdict} | {r['median']:.1f} | {r['max']:.1f} | "
                  f"{r['ratio']:.1f} | {r['cpu']:.0f} |")


def parse_args():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.environ.get("QMILTER_BUILD_DIR", os.path.join(repo, "build")))
    parser.add_argument("--messages", type=int, default=5, help="counted messages per case")
    parser.add_argument("--warmup", type=int, default=1, help="uncounted messages per case first")
    parser.add_argument("--markdown", action="store_true")
    return parser.parse_args()


def main():
    args = parse_args()
    work = tempfile.mkdtemp(prefix="qmilter-regex-bench.")
    try:
        report(args, summary(args, measure(args, work)))
    except Exception as error:  # a measurement: say what went wrong, exit 0
        print(f"run-regex-bench: {error}", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
