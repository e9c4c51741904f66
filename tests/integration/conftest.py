"""Shared fixtures of qmilter's integration tests: a real Postfix, smtp-sink and qmilter.

Run as root with Debian's /usr/bin/python3 (ctest sets QMILTER_BUILD_DIR; by hand it
defaults to <source>/build):  /usr/bin/python3 -m pytest tests/integration/test_x.py

Per test module (started once, stopped in finalizers even when a test fails):
  rig_dir        a fresh directory under /tmp (mode 0755: Postfix's unprivileged
                 processes must reach the milter socket in it); removed at the end
                 unless QMILTER_KEEP_RIG=1
  smtp_sink      SmtpSink: /usr/sbin/smtp-sink on 127.0.0.1:<free port>, every message
                 captured; .wait_for_message(rcpt) -> SinkMessage(mail_from, recipients,
                 data, header(), body), .messages_to(rcpt), .messages()
  milter_socket  the unix socket path Postfix's smtpd_milters points at
  postfix_params override in a test module (a module-scoped fixture returning a dict)
                 to set extra main.cf parameters at start
  postfix_ipv6   override to return True: a second smtpd on [::1] (if the machine has
                 IPv6 loopback; else postfix.smtpd6_port is None), used for client_ip "::1"
  postfix        Postfix: private instance on 127.0.0.1:<free port> relaying everything
                 to smtp_sink, smtpd_milters = unix:<milter_socket>, milter_protocol 6,
                 milter_default_action tempfail; .log (LogFile: mark(),
                 wait_for(regex, since)), .flush(), .queue() (postqueue -j),
                 .queue_ids("hold"), .wait_queue_empty(), .postsuper("-H", "ALL"),
                 .set_params({...}) / with .temporary_params({...}): (main.cf +
                 postfix reload); retries every 1-2 s

Per test:
  qmilter_config  write_qmilter_config(sections_or_text, name) -> path of an INI file
                  (see rig.simple_config / rig.quarantine_section for ready-made sections)
  start_qmilter   start_qmilter(config, extra_args=(), socket_path=None) -> Qmilter
                  listening on milter_socket (.reload(), .stop(), .kill(), .log);
                  `config` is a dict of sections, INI text or a path (or a list of
                  them); killed (SIGKILL) after the test - call .stop() to test SIGTERM
  smtp            smtp(mail_from, rcpts, message, client_ip="127.0.0.1") -> SmtpResult
                  sent to the rig's Postfix from client_ip (any 127.x.y.z, or ::1);
                  rig.make_message builds a message
Every process's log (Postfix maillog since the test began, qmilter, smtp-sink) is added
to the report of a failing test. Queued mail is deleted after each test, so deferred
retries of one test never reach the next.

Minimal test:
    def test_clean_mail_is_delivered(postfix, smtp_sink, start_qmilter, smtp):
        start_qmilter(rig.simple_config())
        rcpt = rig.unique_address()
        assert smtp("a@example.org", [rcpt], rig.make_message(to=rcpt)).accepted
        smtp_sink.wait_for_message(rcpt)
"""

import itertools
import os
import shutil
import tempfile
from typing import Any, List, Optional, Sequence, Tuple, Union

import pytest

import rig

_QMILTER_SEQ = itertools.count()
_LOGS = pytest.StashKey[List[Tuple[str, rig.LogFile, int]]]()


def attach_log(request: pytest.FixtureRequest, title: str, log: rig.LogFile,
               since: int = 0) -> None:
    """Show `log` (from offset `since`) in the report if the current test fails."""
    request.node.stash.setdefault(_LOGS, []).append((title, log, since))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when in ("setup", "call"):
        for title, log, since in item.stash.get(_LOGS, []):
            text = log.text(since)
            if len(text) > 30000:
                text = "[...]\n" + text[-30000:]
            report.sections.append((title, text or "(empty)"))
        sink = item.funcargs.get("smtp_sink") if hasattr(item, "funcargs") else None
        if sink is not None:
            report.sections.append(("smtp-sink messages", sink.describe()))


# --- module-scoped servers -------------------------------------------------------------

@pytest.fixture(scope="module")
def rig_dir():
    path = tempfile.mkdtemp(prefix="qmilter-rig.", dir="/tmp")
    os.chmod(path, 0o755)
    yield path
    if os.environ.get("QMILTER_KEEP_RIG") != "1":
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def smtp_sink(rig_dir):
    sink = rig.SmtpSink(rig_dir)
    try:
        yield sink.start()
    finally:
        sink.stop()


@pytest.fixture(scope="module")
def milter_socket(rig_dir) -> str:
    sock_dir = os.path.join(rig_dir, "milter")
    os.makedirs(sock_dir, exist_ok=True)
    os.chmod(sock_dir, 0o755)
    return os.path.join(sock_dir, "qmilter.sock")


@pytest.fixture(scope="module")
def postfix_params() -> dict:
    """Extra main.cf parameters; override this fixture in a test module."""
    return {}


@pytest.fixture(scope="module")
def postfix_ipv6() -> bool:
    """Override in a test module (returning True) for a second smtpd on [::1]."""
    return False


@pytest.fixture(scope="module")
def postfix(rig_dir, smtp_sink, milter_socket, postfix_params, postfix_ipv6):
    instance = rig.Postfix(rig_dir, smtp_sink.host, smtp_sink.port,
                           milters=[f"unix:{milter_socket}"], params=postfix_params,
                           ipv6=postfix_ipv6 and rig.ipv6_loopback_available())
    try:
        yield instance.start()
    finally:
        instance.stop()


# --- per-test helpers ------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _rig_logs(request):
    """Register the module's logs (from now on) for the failure report; empty the queue
    after the test."""
    names = request.fixturenames
    instance = request.getfixturevalue("postfix") if "postfix" in names else None
    if instance is not None:
        attach_log(request, "Postfix maillog", instance.log, instance.log.mark())
    if "smtp_sink" in names:
        sink = request.getfixturevalue("smtp_sink")
        attach_log(request, "smtp-sink log", sink.log, sink.log.mark())
    yield
    if instance is not None and instance.running:
        try:
            instance.delete_all_queued()
        except RuntimeError:
            pass


ConfigSpec = Union[str, dict]


@pytest.fixture
def qmilter_config(rig_dir):
    """write_qmilter_config(sections | INI text, name="qmilter.conf") -> path."""
    def write_qmilter_config(config: ConfigSpec, name: str = "qmilter.conf") -> str:
        path = os.path.join(rig_dir, name)
        if isinstance(config, str):
            with open(path, "w") as f:
                f.write(config)
            return path
        return rig.write_config(path, config)
    return write_qmilter_config


@pytest.fixture
def start_qmilter(request, rig_dir, milter_socket, qmilter_config):
    """start_qmilter(config, extra_args=(), socket_path=None, env=None) -> running Qmilter.

    config: dict of sections or INI text (written to the rig dir), an existing file's
    path, or a list of those (several -c options, in order)."""
    started: List[rig.Qmilter] = []

    def start(config: Union[ConfigSpec, Sequence[ConfigSpec]], extra_args: Sequence[str] = (),
              socket_path: Optional[str] = None, env: Optional[dict] = None) -> rig.Qmilter:
        binary = rig.qmilter_binary()
        if not os.access(binary, os.X_OK):
            pytest.fail(f"qmilter binary not built: {binary} (set QMILTER_BUILD_DIR)")
        configs = config if isinstance(config, list) else [config]
        seq = next(_QMILTER_SEQ)
        paths = []
        for i, c in enumerate(configs):
            if isinstance(c, str) and "\n" not in c and os.path.exists(c):
                paths.append(c)
            else:
                paths.append(qmilter_config(c, f"qmilter-{seq}-{i}.conf"))
        log_path = os.path.join(rig_dir, f"qmilter-{seq}.log")
        proc = rig.Qmilter(socket_path or milter_socket, paths, log_path, extra_args, env)
        attach_log(request, f"qmilter log ({os.path.basename(log_path)})", proc.log)
        started.append(proc)
        return proc.start()

    yield start
    # SIGKILL: libmilter needs up to 5 s to notice SIGTERM, too slow for every test; a
    # test of the clean shutdown calls .stop() itself.
    for proc in started:
        proc.kill()


@pytest.fixture
def smtp(postfix):
    """smtp(mail_from, rcpts, message, client_ip="127.0.0.1", **kw) -> SmtpResult."""
    def send(mail_from: str, rcpts: Sequence[str], message: Union[bytes, str],
             client_ip: str = "127.0.0.1", **kwargs: Any) -> rig.SmtpResult:
        host, port = postfix.smtpd_address(client_ip)
        return rig.send_mail(host, port, mail_from, rcpts, message, client_ip=client_ip,
                             **kwargs)
    return send
