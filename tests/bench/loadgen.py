"""Runs milter_loadgen from a benchmark script and returns its JSON report as a dict, or
holds N connections mid-message while the caller takes a measurement.

    report = run_load(loadgen, "unix:/tmp/f.sock", concurrency=8, duration_s=2,
                      warmup=200, extra=["-H", "X-Spam-Flag: YES"])
    report["msgs_per_s"], report["latency_ms"]["p99"], report["verdicts"]["discard"]

Any milter_loadgen option can be passed through `extra` (see `milter_loadgen --help`:
--eml, --body-size, -r/--rcpt, -f/--from, --client-ip, --macro, ...).
"""
import json
import subprocess


def run_load(loadgen, socket_spec, concurrency, messages=None, duration_s=None, warmup=0,
             extra=(), timeout_s=600):
    argv = [loadgen, "-s", socket_spec, "-c", str(concurrency), "-w", str(warmup), "--json"]
    if messages is not None:
        argv += ["-n", str(messages)]
    if duration_s is not None:
        argv += ["-d", str(duration_s)]
    argv += list(extra)
    run = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s)
    if run.returncode not in (0, 1) or not run.stdout.strip():
        raise RuntimeError(f"milter_loadgen failed ({run.returncode}): {run.stderr}")
    report = json.loads(run.stdout)
    if report["verdicts"]["error"]:
        raise RuntimeError(f"milter_loadgen saw {report['verdicts']['error']} errors: "
                           f"{report['errors']}")
    return report


def hold_connections(loadgen, socket_spec, connections, before, measure, extra=(),
                     timeout_s=120):
    """Opens `connections` sessions that pause before step `before` (e.g. "eoh", "eom"),
    calls measure() while they are all held, releases them and returns
    (measure's result, the loadgen report)."""
    argv = [loadgen, "-s", socket_spec, "-c", str(connections), "-n", str(connections),
            "--hold-before", before, "--json", "--timeout", str(timeout_s)] + list(extra)
    held = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = held.stdout.readline()
        if not line.startswith("holding "):
            raise RuntimeError(f"milter_loadgen did not hold: {line}{held.stderr.read()}")
        holding = int(line.split()[1])
        result = measure()
        held.stdin.close()  # releases the held sessions
        held.stdin = None   # so communicate() does not flush the closed pipe
        out, err = held.communicate(timeout=timeout_s)
    finally:
        if held.poll() is None:
            held.kill()
            held.wait()
    if held.returncode not in (0, 1):
        raise RuntimeError(f"milter_loadgen failed ({held.returncode}): {err}")
    report = json.loads(out)
    report["held"] = holding
    return result, report
