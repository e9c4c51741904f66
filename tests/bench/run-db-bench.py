#!/usr/bin/python3
"""Benchmark of the db quarantine, in one run.

  * matched mail (4 KB body, DISCARD) through milter_loadgen at concurrency 1, 8, 64 with
    `none`, `file` and `db` on PostgreSQL and on MariaDB, each case --rounds times,
    interleaved, median reported. The servers run with their durable defaults
    (PostgreSQL: fsync, synchronous_commit = on; InnoDB: flush at every commit), their data,
    the quarantine directory and the spool on --dir, the disk measured;
  * through a real Postfix: smtp-source -> Postfix -> qmilter (every message matched and
    stored by `file` or by `db` on PostgreSQL) -> smtp-sink against the same Postfix with no
    milter, msgs/s as smtp-source sees them. The action is `accept` (the copy is kept, the
    mail delivered), so all three cases relay the same mail to smtp-sink; with DISCARD this
    Postfix path runs at about 28 msgs/s whatever the store, `none` included (see
    BENCHMARKS.md), which would hide the store;
  * the store alone: pgbench, in the same rotation, committing the statement a one-chunk store
    sends (three INSERTs in one statement: the 4 KB chunk, one recipient, the entry with
    headers of the size this mail has) at the same concurrency, one connection per client:
    how fast this PostgreSQL commits such transactions without qmilter;
  * CPU per message: qmilter's and the database server's (all its processes) user + system
    time over each case, divided by the messages;
  * with --busy N, N busy loops run beside the throughput cases (what other builds on the
    machine do), so the figures of a loaded machine can be reproduced.

Prints the figures and whether the target is met (db on PostgreSQL >= file at c=8 and 64).
A measurement, not a test: exit status 0 even when a target is missed. Run as root (the
servers and Postfix run as their own users).

usage: tests/bench/run-db-bench.py [--build BUILD_DIR] [--dir DIR_ON_THE_DISK_TO_MEASURE] [--busy N]
                                  [--also-connections N]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from filter_process import FilterProcess  # noqa: E402
from loadgen import run_load  # noqa: E402
import rig  # noqa: E402
from rig.databases import DB_PASSWORD, DB_NAME, DB_USER, PG_BIN, MariaDbServer, PostgresServer  # noqa: E402

MATCH_HEADER = "X-Spam-Flag: YES"
CONNECTIONS = int(os.environ.get("QMILTER_BENCH_DB_CONNECTIONS", "32"))
CONFIG = """\
[global]
quarantines = spam
preferred_quarantine_action = last
spool_dir = {spool}
socket_mode = 0666

[spam]
regex = {regex}
quarantine_type = {store}
quarantine_directory = {quarantine}
quarantine_db_connection = {connection}
quarantine_db_table = bench
quarantine_db_connections = {connections}
notification_type = none
whitelist_type = none
action = {action}
smtp_host = 127.0.0.1
smtp_port = 25
"""


def parse_args():
    repo = os.path.dirname(os.path.dirname(HERE))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.environ.get("QMILTER_BUILD_DIR", os.path.join(repo, "build")))
    parser.add_argument("--dir", default="/var/tmp", help="where the databases, quarantine and spool go")
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", default="1,8,64")
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--postfix-messages", type=int, default=2000)
    parser.add_argument("--postfix-sessions", type=int, default=8)
    parser.add_argument("--busy", type=int, default=0, help="busy loops beside the throughput cases")
    parser.add_argument("--also-connections", type=int, default=0,
                        help="one more case: db on PostgreSQL with this quarantine_db_connections")
    return parser.parse_args()


def write_config(path, store, quarantine, spool, connection="", regex=r"^X-Spam-Flag: YES", action="discard",
                 connections=CONNECTIONS):
    with open(path, "w") as f:
        # The INI is read like Python's configparser: a URL's %-escapes are written %%.
        f.write(CONFIG.format(store=store, quarantine=quarantine, spool=spool, regex=regex, action=action, connections=connections,
                              connection=connection.replace("%", "%%")))
    return path


def server_cpu_seconds(server):
    """User + system CPU of a database server: its first process and that process's children
    (PostgreSQL's backends; MariaDB's threads are in its one process), those that ended
    included."""
    root = server.proc.pid
    ticks = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(name) == root or int(fields[1]) == root:
            # utime, stime, cutime, cstime (fields 14-17 of stat(5))
            ticks += sum(int(f) for f in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


class StoreAlone:
    """pgbench committing what a one-chunk store commits, on the bench's own tables."""

    def __init__(self, pg, work, body_size):
        self.pg = pg
        self.script = os.path.join(work, "store-alone.sql")
        chunk = "\\x" + os.urandom(body_size + 1000).hex()  # the mail's headers come first
        headers = "'" + '{"subject":"' + "h" * 1500 + '"}' + "'"
        with open(self.script, "w") as f:
            f.write("\\set r random(1, 9000000000000000000)\n"
                    'WITH c AS (INSERT INTO "bench_chunks" ("entry_id", "seq", "data") '
                    f"VALUES ('alone_' || :client_id || '_' || :r, 0, '{chunk}'::bytea)), "
                    'r AS (INSERT INTO "bench_recipients" ("entry_id", "position", "recipient") '
                    "VALUES ('alone_' || :client_id || '_' || :r, 0, 'rcpt@bench.example')) "
                    'INSERT INTO "bench_entries" ("id", "host", "queue_id", "mailfrom", "date", "headers", '
                    '"subgroups", "named_subgroups", "size", "chunks") '
                    "VALUES ('alone_' || :client_id || '_' || :r, 'bench', 'Q', 'sender@bench.example', "
                    f"1796197574, {headers}, '[]', '{{}}', {body_size + 1000}, 1);\n")

    def run(self, concurrency, duration_s):
        env = dict(os.environ, PGPASSWORD=DB_PASSWORD)
        argv = [f"{PG_BIN}/pgbench", "-n", "-M", "prepared", "-f", self.script, "-c", str(concurrency),
                "-j", str(min(concurrency, 4)), "-T", str(max(1, round(duration_s))), "-h", self.pg.host,
                "-p", str(self.pg.port), "-U", DB_USER, DB_NAME]
        run = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
        if run.returncode != 0:
            raise RuntimeError(f"pgbench failed ({run.returncode}): {run.stdout}")
        tps = [line for line in run.stdout.splitlines() if line.startswith("tps = ")]
        latency = [line for line in run.stdout.splitlines() if line.startswith("latency average = ")]
        done = [line for line in run.stdout.splitlines() if line.startswith("number of transactions actually processed")]
        return {"msgs_per_s": float(tps[0].split()[2]), "latency_ms": {"p99": float("nan"), "average": float(latency[0].split()[3])},
                "messages": int(done[0].split(":")[1].split("/")[0])}


def measure_throughput(args, loadgen, processes, levels, servers, alone):
    """Every case once per round, each round starting one case later and every other round
    reversed, so no case always follows the same one: a store's writeback (file's dirty
    pages, InnoDB's background flushing) lands on whatever runs next. sync() before each
    case takes what the page cache holds out of the next one's figures."""
    raw = {}
    cases = list(processes) + (["pg alone"] if alone else [])
    for c in levels:
        for round_number in range(args.rounds):
            shift = round_number % len(cases)
            order = cases[shift:] + cases[:shift]
            for store in (order if round_number % 2 == 0 else list(reversed(order))):
                os.sync()
                server = servers.get(store)
                server_before = server_cpu_seconds(server) if server else 0.0
                proc = processes.get(store)
                qmilter_before = proc.cpu_seconds() if proc else 0.0
                if store == "pg alone":
                    report = alone.run(c, args.duration)
                else:
                    report = run_load(loadgen, proc.socket_spec, c, duration_s=args.duration, warmup=args.warmup,
                                      extra=["-H", MATCH_HEADER, "--body-size", str(args.size)])
                    if report["verdicts"]["discard"] != report["messages"]:
                        raise RuntimeError(f"{store}: not every message was discarded: {report['verdicts']}")
                counted = report["messages"] + (0 if store == "pg alone" else args.warmup)
                report["qmilter_ms"] = 1000 * (proc.cpu_seconds() - qmilter_before) / counted if proc else 0.0
                report["server_ms"] = 1000 * (server_cpu_seconds(server) - server_before) / counted if server else 0.0
                raw.setdefault((store, c), []).append(report)
                print(f"  {store:11} c={c:<3} {report['msgs_per_s']:9.1f} msgs/s "
                      f"p99 {report['latency_ms']['p99']:.2f} ms  CPU ms/msg qmilter {report['qmilter_ms']:.3f} "
                      f"server {report['server_ms']:.3f}  load {load_average()}", file=sys.stderr)
    return {k: {"msgs_per_s": statistics.median(r["msgs_per_s"] for r in v),
                "p99": statistics.median(r["latency_ms"]["p99"] for r in v),
                "qmilter_ms": statistics.median(r["qmilter_ms"] for r in v),
                "server_ms": statistics.median(r["server_ms"] for r in v)} for k, v in raw.items()}


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def smtp_source_rate(args, postfix, subject):
    t0 = time.monotonic()
    subprocess.run(["/usr/sbin/smtp-source", "-s", str(args.postfix_sessions), "-m", str(args.postfix_messages),
                    "-l", str(args.size), "-S", subject, "-f", "sender@bench.example", "-t", "rcpt@bench.example",
                    f"{postfix.smtpd_host}:{postfix.smtpd_port}"], check=True, timeout=900)
    elapsed = time.monotonic() - t0
    return args.postfix_messages / elapsed


def measure_postfix(args, work, qmilter_bin, pg):
    """msgs/s through Postfix with the file and db quarantines (matched, stored, delivered)
    and with no milter."""
    results = {}
    sink_dir = os.path.join(work, "postfix-rig")
    os.makedirs(sink_dir)
    os.chmod(sink_dir, 0o755)
    sink = rig.SmtpSink(sink_dir)
    sink.start()
    try:
        sock_dir = os.path.join(work, "postfix-milter")
        os.makedirs(sock_dir)
        os.chmod(sock_dir, 0o755)
        sock = os.path.join(sock_dir, "qmilter.sock")
        quarantine = os.path.join(work, "postfix-quarantine")
        os.makedirs(quarantine)
        configs = {store: write_config(os.path.join(work, f"postfix-{store}.conf"), store, quarantine,
                                       os.path.join(work, "spool"), pg.url, regex=r"^Subject: bench",
                                       action="accept")
                   for store in ("file", "db")}
        for case, store in (("no milter", None), ("file", "file"), ("db (PostgreSQL)", "db")):
            milters = [f"unix:{sock}"] if store else []
            base = os.path.join(work, f"postfix-{len(results)}")
            os.makedirs(base)
            os.chmod(base, 0o755)
            postfix = rig.Postfix(base, sink.host, sink.port, milters=milters, name=f"bench{len(results)}")
            proc = None
            try:
                if milters:
                    proc = FilterProcess(f"qmilter ({store})", [qmilter_bin, "-s", "unix:" + sock, "-c", configs[store]],
                                         sock, os.path.join(work, f"postfix-qmilter-{store}.log"))
                    proc.start()
                postfix.start()
                rate = smtp_source_rate(args, postfix, "bench")
                results[case] = rate
                print(f"  postfix {case:16} {rate:9.1f} msgs/s", file=sys.stderr)
            finally:
                postfix.stop()
                if proc is not None:
                    proc.stop()
    finally:
        sink.stop()
    return results


def main():
    args = parse_args()
    loadgen = os.path.join(args.build, "tests", "bench", "milter_loadgen")
    qmilter_bin = os.path.join(args.build, "bin", "qmilter")
    for path in (loadgen, qmilter_bin):
        if not os.access(path, os.X_OK):
            sys.exit(f"run-db-bench: {path} is missing; build qmilter, the plugins and milter_loadgen first")
    levels = [int(c) for c in args.concurrency.split(",") if c]
    load_before = load_average()
    work = tempfile.mkdtemp(prefix="qmilter-db-bench-", dir=args.dir)
    os.chmod(work, 0o755)
    try:
        quarantine = os.path.join(work, "quarantine")
        spool = os.path.join(work, "spool")
        os.makedirs(quarantine)
        os.makedirs(spool)
        with PostgresServer(work, durable=True) as pg, MariaDbServer(work, durable=True) as maria:
            configs = {
                "none": write_config(os.path.join(work, "none.conf"), "none", quarantine, spool),
                "file": write_config(os.path.join(work, "file.conf"), "file", quarantine, spool),
                "db pgsql": write_config(os.path.join(work, "pg.conf"), "db", quarantine, spool, pg.url),
                "db mariadb": write_config(os.path.join(work, "maria.conf"), "db", quarantine, spool, maria.url),
            }
            if args.also_connections:
                configs[f"db pgsql {args.also_connections}"] = write_config(
                    os.path.join(work, "pg-also.conf"), "db", quarantine, spool, pg.url, connections=args.also_connections)
            procs = {}
            busy = []
            try:
                for store, config in configs.items():
                    sock = os.path.join(work, f"{store.replace(' ', '-')}.sock")
                    procs[store] = FilterProcess(f"qmilter ({store})", [qmilter_bin, "-s", "unix:" + sock, "-c", config],
                                                 sock, os.path.join(work, f"{store.replace(' ', '-')}.log"))
                    procs[store].start()
                # The pg store made the tables at start; the store alone writes to them too.
                alone = StoreAlone(pg, work, args.size)
                servers = {"db pgsql": pg, "db mariadb": maria, "pg alone": pg, f"db pgsql {args.also_connections}": pg}
                busy = [subprocess.Popen(["/bin/sh", "-c", "while :; do :; done"]) for _ in range(args.busy)]
                print(f"throughput ({args.busy} busy loops beside), load average before {load_average()}", file=sys.stderr)
                results = measure_throughput(args, loadgen, procs, levels, servers, alone) if levels else {}
                load_after = load_average()
            finally:
                for loop in busy:
                    loop.kill()
                    loop.wait()
                for proc in procs.values():
                    proc.stop()
            postfix = measure_postfix(args, work, qmilter_bin, pg) if args.postfix_messages > 0 else {}
    finally:
        shutil.rmtree(work, ignore_errors=True)

    fstype = subprocess.run(["df", "--output=fstype", args.dir], stdout=subprocess.PIPE, text=True).stdout.split()[-1]
    print(f"machine: {os.cpu_count()} CPUs, load average before {load_before}, after the throughput cases "
          f"{load_after if levels else '-'}, at the end {load_average()}; {args.busy} busy loops beside; "
          f"data on {fstype}; body {args.size} B, DISCARD; quarantine_db_connections = {CONNECTIONS}")
    if levels:
        print_throughput(results, levels, args.also_connections)
    for case, rate in postfix.items():
        print(f"through Postfix ({args.postfix_sessions} sessions, {args.postfix_messages} messages): {case}: {rate:.0f} msgs/s")


def print_throughput(results, levels, also_connections):
    stores = ["none", "file", "db pgsql", "db mariadb"] + ([f"db pgsql {also_connections}"] if also_connections else [])
    also = f"db pgsql {also_connections}"
    print("| conc | " + " | ".join(f"{s} msgs/s" for s in stores) + " | pg alone msgs/s | pgsql/file | mariadb/file | "
          + (f"pgsql {also_connections}/file | " if also_connections else "")
          + " | ".join(f"{s} p99 ms" for s in stores) + " |")
    print("|---:|" + "---:|" * (2 * len(stores) + 3 + (1 if also_connections else 0)))
    for c in levels:
        r = {s: results[(s, c)] for s in stores}
        print(f"| {c} | " + " | ".join(f"{r[s]['msgs_per_s']:.0f}" for s in stores)
              + f" | {results[('pg alone', c)]['msgs_per_s']:.0f}"
              + f" | {r['db pgsql']['msgs_per_s'] / r['file']['msgs_per_s']:.2f}"
              + f" | {r['db mariadb']['msgs_per_s'] / r['file']['msgs_per_s']:.2f} | "
              + (f"{r[also]['msgs_per_s'] / r['file']['msgs_per_s']:.2f} | " if also_connections else "")
              + " | ".join(f"{r[s]['p99']:.2f}" for s in stores) + " |")
    print()
    print("CPU ms per message (qmilter + database server)")
    print("| conc | " + " | ".join(stores) + " | pg alone (server) |")
    print("|---:|" + "---:|" * (len(stores) + 1))
    for c in levels:
        cells = []
        for s in stores:
            r = results[(s, c)]
            cells.append(f"{r['qmilter_ms']:.3f}" + (f" + {r['server_ms']:.3f}" if s.startswith("db") else ""))
        print(f"| {c} | " + " | ".join(cells) + f" | {results[('pg alone', c)]['server_ms']:.3f} |")
    for c in (8, 64):
        if ("db pgsql", c) in results:
            ratio = results[("db pgsql", c)]["msgs_per_s"] / results[("file", c)]["msgs_per_s"]
            print(f"target  {'met   ' if ratio >= 1.0 else 'MISSED'}  db (PostgreSQL) >= file at c={c}: {ratio:.2f}")


if __name__ == "__main__":
    main()
