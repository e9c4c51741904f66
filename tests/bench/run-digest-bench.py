#!/usr/bin/python3
"""Benchmark of `qmilterctl digest` over a large quarantine, in one run.

  * --entries entries (default 100,000) for --recipients recipients (default 10,000), made
    by make_file_entries.py (six short headers each, or with --spam-headers those of a
    scanned message too) into a `file` store; with --stores also copied into a `db` store
    on SQLite and on PostgreSQL (`quarantine NAME import`; PostgreSQL is started by the
    script with its flushes off: a digest only reads the store), so every store holds the
    same entries;
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
    parser.add_argument("--baseline", help="a second build (BUILD/bin/qmilterctl, BUILD/lib/qmilter/plugins) "
                        "measured in the same rounds, alternating with --build")
    parser.add_argument("--spam-headers", action="store_true",
                        help="entries with a scanned message's headers (~2.5 KB more metadata each)")
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


def digest_run(ctl, config, state, env, dry_run, keep_state=False, forget=None):
    if not keep_state:
        shutil.rmtree(os.path.join(state, "digest"), ignore_errors=True)
        if forget:
            forget()  # the state the store keeps in its notes
    subprocess.run(["sync"], check=True)
    load = load_average()
    # --force: a run right after another finds the daily period not over.
    argv = [ctl, "-c", config, "digest", "--force"] + (["--dry-run"] if dry_run else [])
    seconds, rss_kb, status, out = run_measured(argv, env)
    sent = sum(1 for line in out.splitlines() if line.startswith("sent digest to "))
    listed = sum(1 for line in out.splitlines() if line.endswith(", via quarantine 'spam'"))
    if status != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {status}")
    return {"seconds": seconds, "rss_mb": rss_kb / 1024, "load": load, "digests": sent if not dry_run else listed}


def measure_store(args, builds, config, state, name, forget=None):
    """{(build, kind): [run, ...]}: each round every build's dry and real run, the order of
    the runs and of the builds reversed every other round."""
    runs = {}

    def note(build, kind, result):
        runs.setdefault((build, kind), []).append(result)
        print(f"  {name:10} {build:10} {kind:11} {result['seconds']:7.2f} s {result['rss_mb']:6.1f} MB "
              f"{result['digests']} digests (load {result['load']})", file=sys.stderr)

    for r in range(args.rounds):
        kinds = ("dry run", "real run") if r % 2 == 0 else ("real run", "dry run")
        order = list(builds.items()) if r % 2 == 0 else list(reversed(builds.items()))
        for kind in kinds:
            for build, (ctl, env) in order:
                note(build, kind, digest_run(ctl, config, state, env, dry_run=kind == "dry run", forget=forget))
    for build, (ctl, env) in builds.items():
        digest_run(ctl, config, state, env, dry_run=False, forget=forget)
        note(build, "nothing new", digest_run(ctl, config, state, env, dry_run=False, keep_state=True))
    return runs


def notes_forgetter(store, quarantine, connections, pg):
    """What removes the digest state a store keeps in its notes (a build without notes has none)."""
    if store == "file":
        return lambda: shutil.rmtree(os.path.join(quarantine, ".notes"), ignore_errors=True)
    if store == "postgresql":
        return lambda: pg.sql("DROP TABLE IF EXISTS bench_notes")
    path = connections["sqlite"][len("sqlite:///"):]
    return lambda: subprocess.run(["sqlite3", path, "DROP TABLE IF EXISTS bench_notes"], check=True)


def prepare_db(ctl, config, quarantine, env, name):
    t0 = time.monotonic()
    subprocess.run([ctl, "-c", config, "quarantine", "spam", "import", "--from", quarantine], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    print(f"  {name}: imported in {time.monotonic() - t0:.0f} s", file=sys.stderr)


def main():
    args = parse_args()
    stores = [s for s in args.stores.split(",") if s]
    needed = ["quarantine_file", "notification_none", "whitelist_none", "action_discard"]
    if set(stores) - {"file"}:
        needed.append("quarantine_db")
    builds = {}
    for build, directory in (("baseline", args.baseline), ("this build", args.build)):
        if not directory:
            continue
        ctl = os.path.join(directory, "bin", "qmilterctl")
        plugins = os.path.join(directory, "lib", "qmilter", "plugins")
        missing = [p for p in needed if not os.path.exists(os.path.join(plugins, p + ".so"))]
        if not os.access(ctl, os.X_OK) or missing:
            sys.exit(f"run-digest-bench: {directory}: build qmilterctl and {', '.join(needed)} first")
        builds[build] = (ctl, dict(os.environ, QMILTER_PLUGIN_DIR=plugins))
    ctl, env = builds["this build"]
    work = tempfile.mkdtemp(prefix="qmilter-digest-bench-", dir=args.dir)
    os.chmod(work, 0o755)
    results = {}
    pg = None
    try:
        quarantine = os.path.join(work, "quarantine")
        t0 = time.monotonic()
        make_entries(quarantine, args.entries, args.recipients, spam_headers=args.spam_headers)
        print(f"made {args.entries} entries for {args.recipients} recipients in {time.monotonic() - t0:.0f} s",
              file=sys.stderr)
        port = free_port()
        secret = os.path.join(work, "web.secret")
        connections = {"file": "", "sqlite": "sqlite:///" + os.path.join(work, "quarantine.sqlite")}
        if "postgresql" in stores:
            from rig.databases import PostgresServer
            pg = PostgresServer(work).start()  # flushes off: a digest only reads the store
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
                results[store] = measure_store(args, builds, config, state, store,
                                               forget=notes_forgetter(store, quarantine, connections, pg))
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(args, results, builds)


def report(args, results, builds):
    fstype = subprocess.run(["df", "--output=fstype", args.dir], stdout=subprocess.PIPE, text=True).stdout.split()[-1]
    print(f"machine: {os.cpu_count()} CPUs, load average now {load_average()}; state and store on {fstype}; "
          f"{args.entries} entries, {args.recipients} recipients, "
          f"{'with' if args.spam_headers else 'without'} a scanned message's headers")
    print("| store | run | build | seconds (each round) | median s | peak RSS MB (max) | digests | load average before |")
    print("|---|---|---|---|---:|---:|---:|---|")
    for store, runs in results.items():
        for (build, kind), rs in runs.items():
            seconds = ", ".join(f"{r['seconds']:.1f}" for r in rs)
            print(f"| {store} | {kind} | {build} | {seconds} | {statistics.median(r['seconds'] for r in rs):.1f} | "
                  f"{max(r['rss_mb'] for r in rs):.0f} | {rs[0]['digests']} | {'; '.join(r['load'] for r in rs)} |")
    if "baseline" in builds:
        print("\n| store | run | time this/baseline | peak RSS this/baseline |")
        print("|---|---|---:|---:|")
        for store, runs in results.items():
            for kind in ("dry run", "real run", "nothing new"):
                this, base = runs[("this build", kind)], runs[("baseline", kind)]
                t = statistics.median(r["seconds"] for r in this) / statistics.median(r["seconds"] for r in base)
                m = max(r["rss_mb"] for r in this) / max(r["rss_mb"] for r in base)
                print(f"| {store} | {kind} | {t:.2f} | {m:.2f} |")
    for store, runs in results.items():
        real = runs[("this build", "real run")]
        worst_s, worst_mb = max(r["seconds"] for r in real), max(r["rss_mb"] for r in real)
        met = worst_s <= TARGET_S and worst_mb <= TARGET_RSS_MB
        print(f"target  {'met   ' if met else 'MISSED'}  {store} real run: slowest {worst_s:.1f} s <= {TARGET_S:.0f} s, "
              f"peak {worst_mb:.0f} MB <= {TARGET_RSS_MB} MB")


if __name__ == "__main__":
    main()
