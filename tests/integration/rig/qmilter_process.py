"""The qmilter daemon under test, run in the foreground with its log on a file.

Qmilter.start() launches `$QMILTER_BUILD_DIR/bin/qmilter -s unix:<sock> -c <conf>...` in its
own process group (stdout and stderr both go to the log file), waits - with a deadline -
until the unix socket is listening, and makes it connectable by Postfix's smtpd, which
runs as the unprivileged `postfix` user: the socket's directory is 0755 and the socket is
chmod 0666 once it appears (connect() needs write permission on a unix socket).

reload() sends SIGHUP and waits for the daemon's answer in the log; stop() sends SIGTERM
and waits for the exit; kill() is SIGKILL to the whole group. stop() and kill() are safe to
call on a process that already ended. run_qmilter() runs a short-lived invocation
(`-t`, a start that must fail) and returns the CompletedProcess.
"""

import os
import signal
import stat
import subprocess
from typing import Dict, List, Optional, Sequence

from .logfile import LogFile
from .waiting import DEFAULT_TIMEOUT, wait_until

RELOADED = r"configuration reloaded"


def build_dir() -> str:
    return os.environ.get("QMILTER_BUILD_DIR") or os.path.join(source_dir(), "build")


def source_dir() -> str:
    return os.environ.get("QMILTER_SOURCE_DIR") or os.path.abspath(
        os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def qmilter_binary() -> str:
    return os.path.join(build_dir(), "bin", "qmilter")


def unix_socket_listening(path: str, pid: Optional[int] = None) -> bool:
    """Whether a listening unix socket is bound to `path` - owned by process `pid` when
    given, so a stale listener of an earlier process never counts. Read from /proc, so no
    probe connection reaches the daemon."""
    owned = None
    if pid is not None:
        owned = set()
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                except OSError:
                    continue
                if link.startswith("socket:["):
                    owned.add(link[8:-1])
        except OSError:
            return False
    try:
        with open("/proc/net/unix") as f:
            next(f)
            for line in f:
                fields = line.split()
                # Num RefCount Protocol Flags Type St Inode Path; flag 0x10000 = listening.
                if (len(fields) >= 8 and fields[7] == path and int(fields[3], 16) & 0x10000
                        and (owned is None or fields[6] in owned)):
                    return True
    except FileNotFoundError:
        pass
    return False


def _thread_in_sigwait(pid: int) -> bool:
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/wchan") as f:
                if f.read().startswith("do_sigtimedwait"):
                    return True
    except OSError:
        pass
    return False


def unix_socket_connections(path: str) -> int:
    """How many accepted (server side) connections on the unix socket `path` are open."""
    count = 0
    try:
        with open("/proc/net/unix") as f:
            next(f)
            for line in f:
                fields = line.split()
                if len(fields) >= 8 and fields[7] == path and not int(fields[3], 16) & 0x10000:
                    count += 1
    except FileNotFoundError:
        pass
    return count


def run_qmilter(args: Sequence[str], timeout: float = 30,
                env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    """Run qmilter with `args` to completion; text stdout/stderr in the result."""
    return subprocess.run([qmilter_binary(), *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout, text=True,
                          errors="replace", env=_env(env))


def run_qmilterctl(args: Sequence[str], timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the built qmilterctl with `args` to completion; text stdout/stderr in the result."""
    return subprocess.run([os.path.join(build_dir(), "bin", "qmilterctl"), *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout, text=True, errors="replace")


def _env(extra: Optional[Dict[str, str]]) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(extra or {})
    return env


def stop_process(proc: subprocess.Popen, timeout: float = 15) -> Optional[int]:
    """SIGTERM a process started with start_new_session and wait; SIGKILL its group if it
    does not end within `timeout` seconds. Returns its exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(10)
    return proc.returncode


class MilterProcess:
    """Any milter daemon listening on a unix socket (the rig uses it for qmilter)."""

    def __init__(self, argv: List[str], socket_path: str, log_path: str,
                 title: str = "milter", env: Optional[Dict[str, str]] = None):
        self.argv = argv
        self.socket_path = socket_path
        self.socket = f"unix:{socket_path}"
        self.log = LogFile(log_path, f"{title} log")
        self.env = env
        self.proc: Optional[subprocess.Popen] = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def returncode(self) -> Optional[int]:
        return self.proc.poll() if self.proc else None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = DEFAULT_TIMEOUT) -> "MilterProcess":
        sock_dir = os.path.dirname(self.socket_path)
        os.makedirs(sock_dir, exist_ok=True)
        os.chmod(sock_dir, 0o755)
        if os.path.lexists(self.socket_path):
            os.unlink(self.socket_path)  # a stale socket would look ready at once
        with open(self.log.path, "ab") as log:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=log, start_new_session=True,
                                         env=_env(self.env))
        mark = 0
        wait_until(lambda: (not self.running()
                            or unix_socket_listening(self.socket_path, self.proc.pid)),
                   f"{self.log.title}: socket {self.socket_path} listening", timeout,
                   state=lambda: self.log.tail(mark))
        if not self.running():
            raise RuntimeError(f"{' '.join(self.argv)} exited with {self.proc.returncode} "
                               f"before listening\n{self.log.tail(mark)}")
        # libmilter's own signal thread sigwait()s for SIGHUP/SIGTERM/SIGINT and takes a
        # SIGHUP as "stop". It starts a moment after the socket listens; a signal pending
        # in between may be taken by it instead of the daemon's handler. So "ready" also
        # means: that thread is waiting (checked on /proc; given up after 2 s for a
        # milter without one).
        try:
            wait_until(lambda: _thread_in_sigwait(self.proc.pid), "signal thread", 2)
        except TimeoutError:
            pass
        mode = os.stat(self.socket_path).st_mode
        if stat.S_IMODE(mode) & 0o666 != 0o666:
            os.chmod(self.socket_path, 0o666)
        return self

    def wait_no_connections(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Wait until no MTA connection is open on the socket (Postfix closes its milter
        connection shortly after the SMTP session ends)."""
        wait_until(lambda: unix_socket_connections(self.socket_path) == 0,
                   f"no open connection on {self.socket_path}", timeout)

    def reload(self, expect: str = RELOADED, timeout: float = DEFAULT_TIMEOUT):
        """SIGHUP, then wait for a log line matching `expect` (after the signal)."""
        mark = self.log.mark()
        self.proc.send_signal(signal.SIGHUP)
        match = wait_until(lambda: not self.running() or self.log.search(expect, since=mark),
                           f"/{expect}/ in {self.log.title} after SIGHUP", timeout,
                           state=lambda: self.log.tail(mark))
        if not self.running():
            raise RuntimeError(f"{self.log.title}: process ended with {self.returncode} "
                               f"after SIGHUP\n{self.log.tail(mark)}")
        return match

    def stop(self, timeout: float = 15) -> Optional[int]:
        """SIGTERM and wait; SIGKILL the group if it does not end in time."""
        if self.proc is None:
            return None
        stop_process(self.proc, timeout)
        self._kill_group()  # whatever it started
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is None:
            return
        self._kill_group()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass

    def _kill_group(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


class Qmilter(MilterProcess):
    """The real qmilter binary: `qmilter -s unix:<socket> -c <config>... <extra args>`."""

    def __init__(self, socket_path: str, configs: Sequence[str], log_path: str,
                 extra_args: Sequence[str] = (), env: Optional[Dict[str, str]] = None,
                 binary: Optional[str] = None):
        self.configs = list(configs)
        argv = [binary or qmilter_binary(), "-s", f"unix:{socket_path}"]
        for conf in self.configs:
            argv += ["-c", conf]
        argv += list(extra_args)
        super().__init__(argv, socket_path, log_path, "qmilter", env)
