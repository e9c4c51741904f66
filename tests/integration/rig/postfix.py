"""A private Postfix instance on loopback, started and stopped by the tests.

Everything lives under one directory: config (main.cf, master.cf), queue, data, pid and the
mail log (maillog_file through postlogd, so no syslog is needed). smtpd listens only on
127.0.0.1:<free port> (with ipv6=True also on [::1]:<free port>); every domain relays to the smtp-sink (relayhost), any loopback
client may relay (mynetworks), nothing is delivered locally (mydestination empty).
Retries are fast (queue_run_delay / backoff of 1-2 s) so tests of TEMPFAIL-then-retry
finish quickly: make the milter work again, then flush().

Per-test main.cf parameters: pass `params` at construction, or call set_params() on a
running instance (main.cf rewritten + postfix reload, waiting for the reload in the log);
`with postfix.temporary_params({...}):` restores the previous values afterwards.

Must run as root (postfix start). stop() is safe to call twice and after a failed start.
"""

import contextlib
import json
import os
import pwd
import shutil
import signal
import subprocess
from typing import Dict, Iterator, List, Optional

from .logfile import LogFile
from .ports import free_port, tcp_port_listening
from .waiting import DEFAULT_TIMEOUT, wait_until

POSTFIX = "/usr/sbin/postfix"
POSTQUEUE = "/usr/sbin/postqueue"
POSTSUPER = "/usr/sbin/postsuper"

# master.cf: only the services a relay-only instance needs, none chrooted (the milter
# socket and the log live in the test directory).
MASTER_CF = """\
{listen} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


class Postfix:
    def __init__(self, base_dir: str, relay_host: str, relay_port: int,
                 milters: Optional[List[str]] = None,
                 params: Optional[Dict[str, str]] = None,
                 smtpd_host: str = "127.0.0.1", smtpd_port: Optional[int] = None,
                 ipv6: bool = False, name: str = "rig"):
        self.base_dir = os.path.join(base_dir, "postfix")
        self.config_dir = os.path.join(self.base_dir, "etc")
        self.queue_dir = os.path.join(self.base_dir, "spool")
        self.data_dir = os.path.join(self.base_dir, "data")
        self.smtpd_host = smtpd_host
        self.smtpd_port = smtpd_port or free_port(smtpd_host)
        # With ipv6, a second smtpd listens on [::1]:<smtpd6_port>; ::1 is the only IPv6
        # loopback address on Linux, so it is the one IPv6 client a test can play.
        self.smtpd6_port = free_port("::1") if ipv6 else None
        self.log = LogFile(os.path.join(self.base_dir, "maillog"), "Postfix maillog")
        self.syslog_name = f"postfix-{name}"
        self.params: Dict[str, str] = {
            "compatibility_level": "3.6",
            "syslog_name": self.syslog_name,
            "maillog_file": self.log.path,
            "maillog_file_prefixes": self.base_dir,
            "queue_directory": self.queue_dir,
            "data_directory": self.data_dir,
            "myhostname": "mx.rig.test",
            "mydomain": "rig.test",
            "myorigin": "$myhostname",
            "mydestination": "",
            "local_recipient_maps": "",
            "local_transport": "error:5.1.1 no local delivery in the test rig",
            "alias_maps": "",
            "alias_database": "",
            "inet_interfaces": "loopback-only",
            "inet_protocols": "all" if ipv6 else "ipv4",
            "mynetworks": "127.0.0.0/8, [::1]/128" if ipv6 else "127.0.0.0/8",
            "relay_domains": "",
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
            "relayhost": f"[{relay_host}]:{relay_port}",
            "smtp_dns_support_level": "disabled",
            "smtpd_peername_lookup": "no",
            "smtp_tls_security_level": "none",
            "smtpd_tls_security_level": "none",
            "biff": "no",
            "append_dot_mydomain": "no",
            "smtputf8_enable": "no",
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "smtp_connect_timeout": "5s",
            "default_process_limit": "20",
            "smtpd_milters": ", ".join(milters or []),
            "non_smtpd_milters": "",
            "milter_protocol": "6",
            "milter_default_action": "tempfail",
            "milter_connect_timeout": "5s",
            "milter_command_timeout": "15s",
            "milter_content_timeout": "30s",
        }
        self.params.update(params or {})
        self.running = False

    # --- life cycle -------------------------------------------------------------------

    def start(self) -> "Postfix":
        for d in (self.config_dir, self.queue_dir, self.data_dir):
            os.makedirs(d, exist_ok=True)
        os.chmod(self.base_dir, 0o755)
        # master and postlogd lock and write data_directory as the mail_owner.
        pw = pwd.getpwnam(self.params.get("mail_owner", "postfix"))
        os.chown(self.data_dir, pw.pw_uid, pw.pw_gid)
        self._write_config()
        mark = self.log.mark()
        self._run([POSTFIX, "-c", self.config_dir, "start"])
        self.running = True
        wait_until(lambda: tcp_port_listening(self.smtpd_port)
                   and (not self.smtpd6_port or tcp_port_listening(self.smtpd6_port)),
                   f"Postfix smtpd on {self.smtpd_host}:{self.smtpd_port}", 30,
                   state=lambda: self.log.tail(mark))
        return self

    def stop(self) -> None:
        """postfix stop, then kill whatever is left of the instance's processes."""
        if not self.running:
            return
        self.running = False
        subprocess.run([POSTFIX, "-c", self.config_dir, "stop"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        pid = self.master_pid()
        if pid:
            try:
                os.killpg(os.getpgid(pid), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def master_pid(self) -> Optional[int]:
        try:
            with open(os.path.join(self.queue_dir, "pid", "master.pid")) as f:
                pid = int(f.read().split()[0])
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError, IndexError):
            return None

    def set_params(self, params: Dict[str, str]) -> None:
        """Change main.cf parameters; a running instance is reloaded."""
        self.params.update(params)
        if not self.running:
            return
        self._write_config()
        mark = self.log.mark()
        self._run([POSTFIX, "-c", self.config_dir, "reload"])
        self.log.wait_for(r"reload -- version", since=mark)

    @contextlib.contextmanager
    def temporary_params(self, params: Dict[str, str]) -> Iterator[None]:
        """set_params() for the body of a with-block, then the previous values again."""
        previous = {key: self.params.get(key) for key in params}
        self.set_params(params)
        try:
            yield
        finally:
            for key, value in previous.items():
                if value is None:
                    self.params.pop(key, None)
            self.set_params({k: v for k, v in previous.items() if v is not None})

    def smtpd_address(self, client_ip: str):
        """(host, port) of the smtpd a client at client_ip talks to (IPv4 or ::1)."""
        if ":" in client_ip:
            if not self.smtpd6_port:
                raise ValueError("IPv6 client, but this Postfix was started without ipv6=True")
            return "::1", self.smtpd6_port
        return self.smtpd_host, self.smtpd_port

    # --- queue ------------------------------------------------------------------------

    def flush(self) -> None:
        """Ask Postfix to retry every deferred message now (postqueue -f)."""
        self._run([POSTQUEUE, "-c", self.config_dir, "-f"])

    def queue(self) -> List[dict]:
        """The queue as postqueue -j gives it: one dict per message (queue_name, queue_id,
        sender, recipients[{address, delay_reason?}], ...)."""
        out = self._run([POSTQUEUE, "-c", self.config_dir, "-j"])
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def wait_queue_empty(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        wait_until(lambda: not self.queue(), "an empty Postfix queue", timeout,
                   state=lambda: json.dumps(self.queue(), indent=1))

    def delete_all_queued(self) -> None:
        self.postsuper("-d", "ALL")

    def postsuper(self, *args: str) -> str:
        """postsuper -c DIR <args> (e.g. "-H", "ALL" releases the hold queue)."""
        return self._run([POSTSUPER, "-c", self.config_dir, *args])

    def queue_ids(self, queue_name: Optional[str] = None) -> List[str]:
        """Queue ids of the queued messages, only those in `queue_name` (active, deferred,
        hold, incoming, maildrop) when given."""
        return [m["queue_id"] for m in self.queue()
                if queue_name is None or m.get("queue_name") == queue_name]

    def wait_for_log(self, regex: str, since: int = 0,
                     timeout: float = DEFAULT_TIMEOUT):
        return self.log.wait_for(regex, since=since, timeout=timeout)

    # --- internals --------------------------------------------------------------------

    def _write_config(self) -> None:
        listen = f"{self.smtpd_host}:{self.smtpd_port}"
        with open(os.path.join(self.config_dir, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(listen=listen))
            if self.smtpd6_port:
                f.write(f"[::1]:{self.smtpd6_port} inet n - n - - smtpd\n")
        with open(os.path.join(self.config_dir, "main.cf"), "w") as f:
            for key, value in self.params.items():
                f.write(f"{key} = {value}\n")
        # postfix check wants the dynamic map registry next to main.cf.
        for name in ("dynamicmaps.cf",):
            src = os.path.join("/etc/postfix", name)
            if os.path.exists(src):
                shutil.copy(src, os.path.join(self.config_dir, name))

    def _run(self, argv: List[str]) -> str:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=60)
        out = proc.stdout.decode("utf-8", "replace")
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited with {proc.returncode}:\n{out}\n"
                               f"{self.log.tail()}")
        return out
