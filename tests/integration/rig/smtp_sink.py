"""A real SMTP server that captures what it receives: Postfix's /usr/sbin/smtp-sink.

smtp-sink runs on 127.0.0.1:<free port> and dumps every mail transaction to its own file
(`-d`); the file is closed before smtp-sink answers the final dot, so a message the
client saw accepted can be read completely. Each dump starts with smtp-sink's own records
(X-Client-Addr, X-Mail-Args, one X-Rcpt-Args per recipient, a three-line Received header)
followed by the message as received, with CRLF turned into LF and dot-stuffing undone.

Lifetime: start() in a fixture, stop() in its finalizer (kills the process group).
"""

import glob
import os
import re
import signal
import subprocess
from dataclasses import dataclass, field
from typing import List, Optional

from .logfile import LogFile
from .ports import free_port, tcp_port_listening
from .waiting import DEFAULT_TIMEOUT, wait_until

SMTP_SINK = "/usr/sbin/smtp-sink"


@dataclass
class SinkMessage:
    """One captured mail transaction."""
    path: str
    client_addr: str
    mail_from: str                # envelope sender without <> (ESMTP args dropped)
    recipients: List[str]         # envelope recipients without <>, in RCPT order
    data: bytes                   # the message (headers + body) with LF line ends
    mail_args: str = ""           # the whole MAIL FROM argument, ESMTP params included
    rcpt_args: List[str] = field(default_factory=list)

    @property
    def headers(self) -> str:
        return self.data.split(b"\n\n", 1)[0].decode("utf-8", "replace")

    @property
    def body(self) -> bytes:
        parts = self.data.split(b"\n\n", 1)
        return parts[1] if len(parts) > 1 else b""

    def header(self, name: str) -> Optional[str]:
        """Value of the first header `name` (unfolded), or None."""
        m = re.search(rf"^{re.escape(name)}:[ \t]*(.*(?:\n[ \t].*)*)", self.headers,
                      re.MULTILINE | re.IGNORECASE)
        return re.sub(r"\n[ \t]+", " ", m.group(1)) if m else None


def _address(arg: str) -> str:
    m = re.match(r"\s*<([^>]*)>", arg)
    return m.group(1) if m else arg.split()[0] if arg.split() else ""


def parse_dump(path: str) -> Optional[SinkMessage]:
    """Parse one smtp-sink dump file; None while it is still being written."""
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.endswith(b"\n\n"):
        return None
    lines = raw.split(b"\n")
    client = mail_args = ""
    rcpt_args: List[str] = []
    i = 0
    while i < len(lines):
        line = lines[i].decode("utf-8", "replace")
        i += 1
        if line.startswith("X-Client-Addr: "):
            client = line[len("X-Client-Addr: "):]
        elif line.startswith("X-Mail-Args: "):
            mail_args = line[len("X-Mail-Args: "):]
        elif line.startswith("X-Rcpt-Args: "):
            rcpt_args.append(line[len("X-Rcpt-Args: "):])
        elif line.startswith("Received: "):
            # smtp-sink's Received header is three lines; the message follows.
            while i < len(lines) and lines[i][:1] in (b"\t", b" "):
                i += 1
            break
    data = b"\n".join(lines[i:])[:-1]  # drop the empty line smtp-sink appends
    return SinkMessage(path=path, client_addr=client, mail_from=_address(mail_args),
                       recipients=[_address(a) for a in rcpt_args], data=data,
                       mail_args=mail_args, rcpt_args=rcpt_args)


class SmtpSink:
    def __init__(self, base_dir: str, host: str = "127.0.0.1", port: Optional[int] = None,
                 extra_args: Optional[List[str]] = None):
        self.host = host
        self.port = port or free_port(host)
        self.dump_dir = os.path.join(base_dir, "sink")
        self.extra_args = extra_args or []
        self.log = LogFile(os.path.join(base_dir, "smtp-sink.log"), "smtp-sink log")
        self.proc: Optional[subprocess.Popen] = None

    def start(self) -> "SmtpSink":
        os.makedirs(self.dump_dir, exist_ok=True)
        # smtp-sink drops root privileges to `nobody` after binding; it must write there.
        os.chmod(self.dump_dir, 0o1777)
        with open(self.log.path, "ab") as log:
            self.proc = subprocess.Popen(
                [SMTP_SINK, "-u", "nobody", "-h", "sink.test", "-d",
                 os.path.join(self.dump_dir, "msg."), *self.extra_args,
                 f"{self.host}:{self.port}", "64"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        wait_until(lambda: self.proc.poll() is not None or tcp_port_listening(self.port),
                   f"smtp-sink listening on {self.host}:{self.port}", 10)
        if self.proc.poll() is not None:
            raise RuntimeError(f"smtp-sink exited with {self.proc.returncode}\n{self.log.tail()}")
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(10)

    def messages(self) -> List[SinkMessage]:
        """Every completely received message so far, oldest first."""
        out = []
        paths = glob.glob(os.path.join(self.dump_dir, "msg.*"))
        paths.sort(key=lambda p: (os.path.getmtime(p), p))
        for path in paths:
            msg = parse_dump(path)
            if msg is not None:
                out.append(msg)
        return out

    def messages_to(self, recipient: str) -> List[SinkMessage]:
        rcpt = recipient.lower()
        return [m for m in self.messages() if rcpt in (r.lower() for r in m.recipients)]

    def wait_for_message(self, recipient: str, timeout: float = DEFAULT_TIMEOUT,
                         count: int = 1) -> SinkMessage:
        """Wait until `count` messages to recipient arrived; return the last of them."""
        def enough():
            msgs = self.messages_to(recipient)
            return msgs if len(msgs) >= count else None

        msgs = wait_until(enough, f"{count} message(s) to {recipient} at smtp-sink", timeout,
                          state=self.describe)
        return msgs[count - 1]

    def describe(self) -> str:
        lines = [f"--- smtp-sink {self.host}:{self.port} received ---"]
        for m in self.messages():
            lines.append(f"{os.path.basename(m.path)}: from <{m.mail_from}> to "
                         f"{', '.join('<%s>' % r for r in m.recipients)} "
                         f"({len(m.data)} bytes)")
        return "\n".join(lines)
