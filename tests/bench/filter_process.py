"""A milter under benchmark: started as a child process on a unix socket, waited for until it
accepts connections, its memory read from /proc, and stopped (always, even on failure).

Used by run-core-bench.py and by any later benchmark script (import it with
sys.path.insert(0, <this directory>)). Standard library only; Debian's /usr/bin/python3.
"""
import os
import signal
import socket
import subprocess
import time


class FilterProcess:
    """One filter process. Use as a context manager: `with FilterProcess(...) as f:`."""

    def __init__(self, name, argv, socket_path, log_path, env=None, stop_signal=signal.SIGTERM):
        """stop_signal: SIGTERM for a clean stop (libmilter's listener notices it only
        after its 5 s poll timeout); SIGKILL for a stateless filter such as null_filter."""
        self.name = name
        self.stop_signal = stop_signal
        self.argv = argv
        self.socket_path = socket_path
        self.log_path = log_path
        self.env = env
        self.process = None
        self._log = None

    @property
    def socket_spec(self):
        return "unix:" + self.socket_path

    @property
    def pid(self):
        return self.process.pid

    def start(self, deadline_s=30.0):
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.argv, stdout=self._log, stderr=subprocess.STDOUT,
                                        env=self.env)
        self.wait_listening(deadline_s)
        return self

    def wait_listening(self, deadline_s):
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n"
                                   + self.log_tail())
            if os.path.exists(self.socket_path):
                probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    probe.connect(self.socket_path)
                    return
                except OSError:
                    pass
                finally:
                    probe.close()
            time.sleep(0.02)
        raise RuntimeError(f"{self.name} did not listen on {self.socket_path} within "
                           f"{deadline_s} s:\n" + self.log_tail())

    def memory(self):
        """VmRSS, VmHWM (kB) and thread count from /proc/PID/status."""
        figures = {}
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM", "Threads"):
                    figures[key] = int(value.split()[0])
        return figures

    def cpu_seconds(self):
        """User + system CPU time the process has used so far (all its threads, also
        those that ended), from /proc/PID/stat."""
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        # fields[0] is the state (field 3 of stat(5)); utime and stime are fields 14, 15.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, "rb") as log:
                return b"".join(log.readlines()[-lines:]).decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(self.stop_signal)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
