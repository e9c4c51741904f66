#!/usr/bin/python3
"""Smoke test of the benchmark tools (no timing checked): a few messages from milter_loadgen
through null_filter must all be accepted at end of headers, with the no-reply steps the
filter negotiated, and sessions held mid-message must all be counted and then released.

usage: loadgen_smoke.py MILTER_LOADGEN NULL_FILTER
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time


def wait_for_socket(path, process, deadline_s=10.0):
    """Waits until the filter accepts connections on path (or dies, or the deadline passes)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"null_filter exited with {process.returncode}")
        if os.path.exists(path):
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(path)
                return
            except OSError:
                pass
            finally:
                probe.close()
        time.sleep(0.02)
    raise RuntimeError(f"null_filter did not listen on {path} within {deadline_s} s")


def main():
    loadgen, null_filter = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="qmilter-bench-smoke-") as work:
        sock = os.path.join(work, "null.sock")
        filter_log = open(os.path.join(work, "null_filter.log"), "w+")
        process = subprocess.Popen([null_filter, "-s", "unix:" + sock],
                                   stdout=filter_log, stderr=subprocess.STDOUT)
        try:
            wait_for_socket(sock, process)
            run = subprocess.run(
                [loadgen, "-s", "unix:" + sock, "-c", "4", "-n", "40", "-w", "4", "--json",
                 "-r", "alice@bench.example", "-r", "bob@bench.example",
                 "--expect", "accept@eoh=40"],
                capture_output=True, text=True, timeout=60)
            assert run.returncode == 0, run.stdout + run.stderr
            report = json.loads(run.stdout)
            assert report["messages"] == 40, report
            assert report["verdicts"]["accept"] == 40, report
            assert report["verdicts"]["error"] == 0, report
            flags = report["negotiated"]["protocol_flags"].split()
            for flag in ("NR_CONN", "NR_HELO", "NR_MAIL", "NR_RCPT", "NR_DATA", "NR_HDR"):
                assert flag in flags, report["negotiated"]
            assert report["latency_ms"]["p50"] > 0, report

            held = subprocess.Popen(
                [loadgen, "-s", "unix:" + sock, "-c", "8", "-n", "8", "--hold-before", "eoh",
                 "--expect", "accept@eoh=8"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            first_line = held.stdout.readline()
            assert first_line.startswith("holding 8 connections before eoh"), first_line
            held.stdin.close()
            rest = held.stdout.read()
            held.wait(timeout=60)
            assert held.returncode == 0, rest + held.stderr.read()
        except BaseException:
            filter_log.seek(0)
            sys.stderr.write("null_filter log:\n" + filter_log.read())
            raise
        finally:
            # Stateless: no need for SIGTERM, which libmilter notices only after 5 s.
            process.kill()
            process.wait()
    print("loadgen smoke test passed")


if __name__ == "__main__":
    main()
