#!/usr/bin/python3
"""Benchmark of `qmilterctl digest` over a large quarantine, in one run.

  * --entries entries (default 100,000) for --recipients recipients (default 10,000), made
    by make_file_entries.py into a `file` store; with --stores also copied into a `db` store
    on SQLite and on PostgreSQL (`quarantine NAME import`; PostgreSQL is started by the
    script, with its durable defaults) — every store holds the same entries;
  * per store, --rounds rounds, each `qmilterctl digest --dry-run` then a real run that sends
    every recipient's digest to Debian's smtp-sink (no dump files, so the sink adds no disk
    writes), the order of the two reversed every other round; the digest state is removed
    before each run, so every run reports all entries. Wall time and peak RSS (the child's
    ru_maxrss from wait4) per run, and the load average before each;
  * once per store, a real run right after a real run: nothing is new, every entry is read
    and found reported (what a daily timer costs when no mail was quarantined).

The state directory is on --dir, so the journal's syncs go to the disk measured. Prints the
figures and whether the targets are met (real run <= 60 s and <= 256 MB). A measurement,
not a test: exit status 0 even when a target is missed. Run as root (smtp-sink drops to
`nobody`, PostgreSQL runs as `postgres`).

usage: tests/bench/run-digest-bench.py [--build BUILD_DIR] [--dir DIR] [--stores file,sqlite,postgresql]
"""
import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from make_file_entries import make_entries  # noqa: E402
from rig.ports import free_port, tcp_port_listening  # noqa: E402
from rig.waiting import wait_until  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
SMTP_SINK = "/usr/sbin/smtp-sink"
CONFIG = """\
[global]
quarantines = spam
preferred_quarantine_action = last
state_dir = {state}
web_base_url = https://quarantine.bench.example/
web_secret_file = {secret}

[spam]
regex = ^X-Spam-Flag: YES
quarantine_type = {store}
quarantine_directory = {quarantine}
quarantine_db_connection = {connection}
quarantine_db_table = bench
notification_type = none
whitelist_type = none
action = discard
smtp_host = 127.0.0.1
smtp_port = {port}
digest = daily
digest_template = {template}
digest_from = Quarantine <digest@bench.example>
digest_envelope_from = digest@bench.example
"""
TARGET_S = 60.0
TARGET_RSS_MB = 256


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.environ.get("QMILTER_BUILD_DIR", os.path.join(REPO, "build")))
    parser.add_argument("--dir", default="/var/tmp", help="where the quarantine, the state and the databases go")
    parser.add_argument("--entries", type=int, default=100000)
    parser.add_argument("--recipients", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--stores", default="file", help="comma-separated: file, sqlite, postgresql")
    return parser.parse_args()


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def run_measured(argv, env):
    """Runs argv to the end; (seconds, peak RSS in KB, exit status, stdout)."""
    with tempfile.TemporaryFile() as out:
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        return elapsed, usage.ru_maxrss, proc.returncode, out.read().decode()


class Sink:
    """smtp-sink on 127.0.0.1, answering every transaction, keeping nothing."""

    def __init__(self, port):
        self.port = port
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen([SMTP_SINK, "-u", "nobody", "-h", "sink.bench", f"127.0.0.1:{self.port}", "256"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        wait_until(lambda: self.proc.poll() is not None or tcp_port_listening(self.port), "smtp-sink listening", 10)
        if self.proc.poll() is not None:
            raise RuntimeError(f"smtp-sink exited with {self.proc.returncode}")
        return self

    def __exit__(self, *exc):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


def digest_run(ctl, config, state, env, dry_run, keep_state=False):
    if not keep_state:
        shutil.rmtree(os.path.join(state, "digest"), ignore_errors=True)
    subprocess.run(["sync"], check=True)
    load = load_average()
    argv = [ctl, "-c", config, "digest"] + (["--dry-run"] if dry_run else [])
    seconds, rss_kb, status, out = run_measured(argv, env)
    sent = sum(1 for line in out.splitlines() if line.startswith("sent digest to "))
    listed = sum(1 for line in out.splitlines() if line.endswith(", via quarantine 'spam'"))
    if status != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {status}")
    return {"seconds": seconds, "rss_mb": rss_kb / 1024, "load": load, "digests": sent if not dry_run else listed}


def measure_store(args, ctl, config, state, env, name):
    runs = {"dry run": [], "real run": []}
    for r in range(args.rounds):
        order = ("dry run", "real run") if r % 2 == 0 else ("real run", "dry run")
        for kind in order:
            result = digest_run(ctl, config, state, env, dry_run=kind == "dry run")
            runs[kind].append(result)
            print(f"  {name:10} {kind:8} {result['seconds']:7.2f} s {result['rss_mb']:6.1f} MB "
                  f"{result['digests']} digests (load {result['load']})", file=sys.stderr)
    digest_run(ctl, config, state, env, dry_run=False)
    again = digest_run(ctl, config, state, env, dry_run=False, keep_state=True)
    print(f"  {name:10} again    {again['seconds']:7.2f} s {again['rss_mb']:6.1f} MB "
          f"{again['digests']} digests (load {again['load']})", file=sys.stderr)
    runs["nothing new"] = [again]
    return runs


def prepare_db(ctl, config, quarantine, env, name):
    t0 = time.monotonic()
    subprocess.run([ctl, "-c", config, "quarantine", "spam", "import", "--from", quarantine], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    print(f"  {name}: imported in {time.monotonic() - t0:.0f} s", file=sys.stderr)


def main():
    args = parse_args()
    ctl = os.path.join(args.build, "bin", "qmilterctl")
    plugins = os.path.join(args.build, "lib", "qmilter", "plugins")
    stores = [s for s in args.stores.split(",") if s]
    needed = ["quarantine_file", "notification_none", "whitelist_none", "action_discard"]
    if set(stores) - {"file"}:
        needed.append("quarantine_db")
    missing = [p for p in needed if not os.path.exists(os.path.join(plugins, p + ".so"))]
    if not os.access(ctl, os.X_OK) or missing:
        sys.exit(f"run-digest-bench: build qmilterctl and {', '.join(needed)} first")
    env = dict(os.environ, QMILTER_PLUGIN_DIR=plugins)
    work = tempfile.mkdtemp(prefix="qmilter-digest-bench-", dir=args.dir)
    os.chmod(work, 0o755)
    results = {}
    pg = None
    try:
        quarantine = os.path.join(work, "quarantine")
        t0 = time.monotonic()
        make_entries(quarantine, args.entries, args.recipients)
        print(f"made {args.entries} entries for {args.recipients} recipients in {time.monotonic() - t0:.0f} s",
              file=sys.stderr)
        port = free_port()
        secret = os.path.join(work, "web.secret")
        connections = {"file": "", "sqlite": "sqlite:///" + os.path.join(work, "quarantine.sqlite")}
        if "postgresql" in stores:
            from rig.databases import PostgresServer
            pg = PostgresServer(work, durable=True).start()
            connections["postgresql"] = pg.url
        with Sink(port):
            for store in stores:
                state = os.path.join(work, f"state-{store}")
                config = os.path.join(work, f"{store}.conf")
                with open(config, "w") as f:
                    # The INI is read like Python's configparser: a URL's %-escapes are written %%.
                    f.write(CONFIG.format(store="file" if store == "file" else "db", quarantine=quarantine,
                                          connection=connections[store].replace("%", "%%"), state=state,
                                          secret=secret, port=port,
                                          template=os.path.join(REPO, "templates", "digest.template")))
                if not os.path.exists(secret):
                    subprocess.run([ctl, "-c", config, "web", "secret"], check=True, env=env, stdout=subprocess.DEVNULL)
                if store != "file":
                    prepare_db(ctl, config, quarantine, env, store)
                results[store] = measure_store(args, ctl, config, state, env, store)
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(args, results)


def report(args, results):
    fstype = subprocess.run(["df", "--output=fstype", args.dir], stdout=subprocess.PIPE, text=True).stdout.split()[-1]
    print(f"machine: {os.cpu_count()} CPUs, load average now {load_average()}; state and store on {fstype}; "
          f"{args.entries} entries, {args.recipients} recipients")
    print("| store | run | seconds (each round) | median s | peak RSS MB (max) | digests | load average before |")
    print("|---|---|---|---:|---:|---:|---|")
    for store, runs in results.items():
        for kind, rs in runs.items():
            seconds = ", ".join(f"{r['seconds']:.1f}" for r in rs)
            print(f"| {store} | {kind} | {seconds} | "
                  f"{statistics.median(r['seconds'] for r in rs):.1f} | {max(r['rss_mb'] for r in rs):.0f} | "
                  f"{rs[0]['digests']} | {'; '.join(r['load'] for r in rs)} |")
    for store, runs in results.items():
        real = runs["real run"]
        worst_s, worst_mb = max(r["seconds"] for r in real), max(r["rss_mb"] for r in real)
        met = worst_s <= TARGET_S and worst_mb <= TARGET_RSS_MB
        print(f"target  {'met   ' if met else 'MISSED'}  {store} real run: slowest {worst_s:.1f} s <= {TARGET_S:.0f} s, "
              f"peak {worst_mb:.0f} MB <= {TARGET_RSS_MB} MB")


if __name__ == "__main__":
    main()
