#!/usr/bin/python3
"""Benchmark of the FILE quarantine's cost, in one run.

  * matched mail stored to FILE (fsync'd data + metadata + directory) + DISCARD against
    matched mail with NONE storage + DISCARD, at concurrency 1, 8, 64 with 4 KB and 1 MB
    bodies (each case --rounds times, interleaved, median reported; the quarantine
    directory is emptied between cases by moving its files aside, deleted at the end);
  * the same stores with no milter around them (file_store_bench: FileStore::store() from
    c threads), the most FILE+DISCARD can reach on that disk;
  * peak RSS of a fresh qmilter storing one 100 MB matched message, against the same
    process's peak after small messages;
  * `qmilterctl quarantine NAME list -t RCPT` over --entries entries made by
    make_file_entries.py (page cache warm: the second of two runs; the first is shown too).

Prints the figures and whether the targets are met (FILE >= 0.5x NONE at c=8 with
4 KB; 100 MB message raises peak RSS by <= 32 MB; list <= 3 s). A measurement, not a test:
exit status 0 even when a target is missed.

usage: tests/bench/run-file-bench.py [--build BUILD_DIR] [--dir DIR_ON_THE_DISK_TO_MEASURE]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from filter_process import FilterProcess  # noqa: E402
from loadgen import run_load  # noqa: E402
from make_file_entries import make_entries  # noqa: E402

MATCH_HEADER = "X-Spam-Flag: YES"
CONFIG = """\
[global]
quarantines = spam
preferred_quarantine_action = last
body_memory_limit = 1048576
spool_dir = {spool}

[spam]
regex = ^X-Spam-Flag: YES
quarantine_type = {store}
quarantine_directory = {quarantine}
notification_type = none
whitelist_type = none
action = discard
smtp_host = 127.0.0.1
smtp_port = 25
"""
TARGET_RATIO = 0.5      # FILE / NONE msgs/s at c=8, 4 KB
TARGET_RSS_MB = 32      # peak RSS increase for a 100 MB message
TARGET_LIST_S = 3.0     # list -t RCPT over 100,000 entries


def parse_args():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.environ.get("QMILTER_BUILD_DIR",
                                                          os.path.join(repo, "build")))
    parser.add_argument("--dir", default="/var/tmp",
                        help="where the quarantine and spool directories go (the disk measured)")
    parser.add_argument("--duration", type=float, default=2.0)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", default="1,8,64")
    parser.add_argument("--sizes", default="4096,1048576")
    parser.add_argument("--big", type=int, default=100 * 1024 * 1024, help="bytes of the big message")
    parser.add_argument("--entries", type=int, default=100000)
    return parser.parse_args()


def empty_directory(path):
    for name in os.listdir(path):
        os.unlink(os.path.join(path, name))


def move_aside(path, trash):
    """Empties `path` by renaming its files into `trash`, deleted at the end of the run.

    Deleting them between cases would slow the next case: on a file system mounted with
    `discard` (this VM's ext4) freed blocks are trimmed as the next fsyncs commit."""
    os.makedirs(trash, exist_ok=True)
    base = len(os.listdir(trash))
    for i, name in enumerate(os.listdir(path)):
        os.rename(os.path.join(path, name), os.path.join(trash, f"{base + i}-{name}"))


def measure_throughput(args, loadgen, processes, quarantine, trash, levels, sizes):
    raw = {}
    for size in sizes:
        for c in levels:
            for _ in range(args.rounds):
                for store, proc in processes.items():
                    report = run_load(loadgen, proc.socket_spec, c, duration_s=args.duration,
                                      warmup=args.warmup,
                                      extra=["-H", MATCH_HEADER, "--body-size", str(size)])
                    if report["verdicts"]["discard"] != report["messages"]:
                        raise RuntimeError(f"{store}: not every message was discarded: "
                                           f"{report['verdicts']}")
                    raw.setdefault((store, size, c), []).append(report)
                    print(f"  {store:5} {size:>8} B c={c:<3} {report['msgs_per_s']:9.1f} msgs/s "
                          f"p99 {report['latency_ms']['p99']:.2f} ms", file=sys.stderr)
                    move_aside(quarantine, trash)
    return {k: {"msgs_per_s": statistics.median(r["msgs_per_s"] for r in v),
                "p99": statistics.median(r["latency_ms"]["p99"] for r in v)} for k, v in raw.items()}


def measure_store_alone(args, store_bench, work, levels, sizes):
    """FileStore::store() from c threads with no milter: what the disk allows FILE at most."""
    alone = {}
    for size in sizes:
        for c in levels:
            directory = tempfile.mkdtemp(prefix="alone-", dir=work)
            out = subprocess.run([store_bench, directory, str(c), str(args.duration), str(size)],
                                 stdout=subprocess.PIPE, check=True, text=True).stdout
            alone[(size, c)] = json.loads(out)
            print(f"  alone {size:>8} B c={c:<3} {alone[(size, c)]['stores_per_s']:9.1f} stores/s",
                  file=sys.stderr)
    return alone


def measure_big_message(args, loadgen, proc, quarantine):
    run_load(loadgen, proc.socket_spec, 1, messages=20, extra=["-H", MATCH_HEADER, "--body-size", "65536"])
    before = proc.memory()
    report = run_load(loadgen, proc.socket_spec, 1, messages=1, timeout_s=600,
                      extra=["-H", MATCH_HEADER, "--body-size", str(args.big), "--timeout", "300"])
    after = proc.memory()
    stored = [n for n in os.listdir(quarantine) if not n.endswith(".metadata")]
    size = max(os.path.getsize(os.path.join(quarantine, n)) for n in stored)
    empty_directory(quarantine)
    return {"before_hwm_kb": before["VmHWM"], "after_hwm_kb": after["VmHWM"],
            "stored_bytes": size, "seconds": report.get("elapsed_s")}


def measure_list(args, ctl, config, quarantine):
    t0 = time.monotonic()
    make_entries(quarantine, args.entries, 1000)
    made = time.monotonic() - t0
    subprocess.run(["sync"], check=True)
    timings = []
    for _ in range(2):
        t0 = time.monotonic()
        out = subprocess.run([ctl, "-c", config, "quarantine", "spam", "list", "-t",
                              "user42@bench.example"], stdout=subprocess.PIPE, check=True).stdout
        timings.append(time.monotonic() - t0)
    rows = len(out.splitlines()) - 1
    t0 = time.monotonic()
    everything = subprocess.run([ctl, "-c", config, "quarantine", "spam", "list", "-b"],
                                stdout=subprocess.PIPE, check=True).stdout
    unfiltered = time.monotonic() - t0
    return {"entries": args.entries, "generated_s": made, "first_s": timings[0],
            "warm_s": timings[1], "rows": rows, "unfiltered_s": unfiltered,
            "unfiltered_rows": len(everything.splitlines())}


def main():
    args = parse_args()
    loadgen = os.path.join(args.build, "tests", "bench", "milter_loadgen")
    qmilter_bin = os.path.join(args.build, "bin", "qmilter")
    ctl = os.path.join(args.build, "bin", "qmilterctl")
    store_bench = os.path.join(args.build, "tests", "bench", "file_store_bench")
    for path in (loadgen, qmilter_bin, ctl, store_bench):
        if not os.access(path, os.X_OK):
            sys.exit(f"run-file-bench: {path} is missing; build qmilter, qmilterctl, "
                     "quarantine_file, milter_loadgen and file_store_bench first")
    levels = [int(c) for c in args.concurrency.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    work = tempfile.mkdtemp(prefix="qmilter-file-bench-", dir=args.dir)
    try:
        quarantine = os.path.join(work, "quarantine")
        spool = os.path.join(work, "spool")
        os.makedirs(quarantine)
        os.makedirs(spool)
        configs = {}
        for store in ("none", "file"):
            configs[store] = os.path.join(work, f"{store}.conf")
            with open(configs[store], "w") as f:
                f.write(CONFIG.format(store=store, quarantine=quarantine, spool=spool))

        def qmilter(store, tag):
            sock = os.path.join(work, f"{store}-{tag}.sock")
            return FilterProcess(f"qmilter ({store})",
                                 [qmilter_bin, "-s", "unix:" + sock, "-c", configs[store]],
                                 sock, os.path.join(work, f"{store}-{tag}.log"))

        print("throughput", file=sys.stderr)
        with qmilter("none", "load") as none_proc, qmilter("file", "load") as file_proc:
            results = measure_throughput(args, loadgen, {"NONE": none_proc, "FILE": file_proc},
                                         quarantine, os.path.join(work, "trash"), levels, sizes)
        print("store alone", file=sys.stderr)
        alone = measure_store_alone(args, store_bench, work, levels, sizes)
        big = listing = None
        if args.big > 0:
            print("big message", file=sys.stderr)
            with qmilter("file", "big") as proc:
                big = measure_big_message(args, loadgen, proc, quarantine)
        if args.entries > 0:
            print("listing", file=sys.stderr)
            listing = measure_list(args, ctl, configs["file"], quarantine)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print(f"machine: {os.cpu_count()} CPUs, load average {load}; directory on "
          f"{subprocess.run(['df', '--output=fstype', args.dir], stdout=subprocess.PIPE, text=True).stdout.split()[-1]}")
    print("| body | conc | NONE+DISCARD msgs/s | FILE+DISCARD msgs/s | FILE/NONE | NONE p99 ms | FILE p99 ms "
          "| store alone /s | alone/NONE |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        for c in levels:
            n, f, a = results[("NONE", size, c)], results[("FILE", size, c)], alone[(size, c)]
            label = f"{size // 1024} KB" if size < 1048576 else f"{size // 1048576} MB"
            print(f"| {label} | {c} | {n['msgs_per_s']:.0f} | {f['msgs_per_s']:.0f} | "
                  f"{f['msgs_per_s'] / n['msgs_per_s']:.2f} | {n['p99']:.2f} | {f['p99']:.2f} "
                  f"| {a['stores_per_s']:.0f} | {a['stores_per_s'] / n['msgs_per_s']:.2f} |")
    c8 = results.get(("FILE", 4096, 8)), results.get(("NONE", 4096, 8))
    if all(c8):
        ratio = c8[0]["msgs_per_s"] / c8[1]["msgs_per_s"]
        print(f"target  {'met   ' if ratio >= TARGET_RATIO else 'MISSED'}  FILE/NONE at c=8, 4 KB: "
              f"{ratio:.2f} >= {TARGET_RATIO}")
    if big:
        report_big(big)
    if listing:
        report_listing(listing)


def report_big(big):
    rise_mb = (big["after_hwm_kb"] - big["before_hwm_kb"]) / 1024
    print(f"\n100 MB message: VmHWM {big['before_hwm_kb'] / 1024:.1f} MB before, "
          f"{big['after_hwm_kb'] / 1024:.1f} MB after (+{rise_mb:.1f} MB); stored {big['stored_bytes']} bytes")
    print(f"target  {'met   ' if rise_mb <= TARGET_RSS_MB else 'MISSED'}  100 MB message: "
          f"+{rise_mb:.1f} MB <= {TARGET_RSS_MB} MB")


def report_listing(listing):
    print(f"list -t RCPT over {listing['entries']} entries: {listing['warm_s']:.2f} s warm "
          f"(first run {listing['first_s']:.2f} s), {listing['rows']} rows; unfiltered -b: "
          f"{listing['unfiltered_s']:.2f} s, {listing['unfiltered_rows']} ids; generating took "
          f"{listing['generated_s']:.0f} s")
    print(f"target  {'met   ' if listing['warm_s'] <= TARGET_LIST_S else 'MISSED'}  list -t over "
          f"{listing['entries']} entries: {listing['warm_s']:.2f} s <= {TARGET_LIST_S} s")


if __name__ == "__main__":
    main()
