"""qmilter-web for the tests: the real binary on a free loopback port, its log in a file,
ready when GET /healthz answers; plus a small HTTP client that shows every status (urllib
raises on 4xx/5xx, which is what most of these tests look at).

    web = WebProcess(config_path, port, log_path).start()
    status, headers, body = web.get(path)          # body: str
    status, headers, body = web.post(path, {"csrf": ..., "action": "release"})
"""

import base64
import hashlib
import hmac
import http.client
import os
import struct
import re
import subprocess
import urllib.parse
from typing import Dict, List, Optional, Tuple

from .logfile import LogFile
from .qmilter_process import build_dir, stop_process
from .waiting import DEFAULT_TIMEOUT, wait_until

Answer = Tuple[int, Dict[str, str], str]

LINK = re.compile(r'href="(https?://[^"]+/m/[A-Za-z0-9_-]+)"')
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def web_binary() -> str:
    return os.path.join(build_dir(), "bin", "qmilter-web")


def run_web(args: List[str], timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([web_binary(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, text=True, errors="replace")


def links_in(text: str) -> List[str]:
    """Every qmilter-web link in a notification's HTML (entities as the template writes them)."""
    return [link.replace("&amp;", "&") for link in LINK.findall(text)]


def make_token(secret_path: str, quarantine: str, entry_id: str, recipient: str, expires: int) -> str:
    """A link token made the way qmilter-web(8) documents it, independently of the C++ code:
    version 1, expiry (8 bytes big-endian), three length-prefixed fields, HMAC-SHA256 under
    the secret file's whole content with the label "qmilter-web link\n", base64url."""
    with open(secret_path, "rb") as f:
        key = f.read()
    payload = b"\x01" + struct.pack(">Q", expires)
    for field in (quarantine, entry_id, recipient):
        data = field.encode()
        payload += bytes([len(data)]) + data
    mac = hmac.new(key, b"qmilter-web link\n" + payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(payload + mac).rstrip(b"=").decode()


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found, f"no CSRF field in the page:\n{page}"
    return found.group(1)


class WebProcess:
    def __init__(self, config_path: str, port: int, log_path: str, env: Optional[Dict[str, str]] = None):
        self.argv = [web_binary(), "-c", config_path, "-d"]
        self.port = port
        self.log = LogFile(log_path, "qmilter-web log")
        self.env = env
        self.proc: Optional[subprocess.Popen] = None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = DEFAULT_TIMEOUT) -> "WebProcess":
        env = dict(os.environ)
        env.update(self.env or {})
        with open(self.log.path, "ab") as log:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         start_new_session=True, env=env)

        def ready() -> bool:
            if not self.running():
                return True
            try:
                return self.get("/healthz")[0] == 200
            except OSError:
                return False
        wait_until(ready, f"qmilter-web on port {self.port}", timeout, state=lambda: self.log.tail())
        if not self.running():
            raise RuntimeError(f"qmilter-web exited with {self.proc.returncode}\n{self.log.tail()}")
        return self

    def stop(self, timeout: float = 15) -> Optional[int]:
        return stop_process(self.proc, timeout) if self.proc is not None else None

    def request(self, method: str, path: str, body: Optional[bytes] = None,
                headers: Optional[Dict[str, str]] = None) -> Answer:
        path = urllib.parse.urlsplit(path).path if path.startswith("http") else path
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            return response.status, {k.lower(): v for k, v in response.getheaders()}, text
        finally:
            connection.close()

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, fields: Dict[str, str], headers: Optional[Dict[str, str]] = None) -> Answer:
        sent = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return self.request("POST", path, urllib.parse.urlencode(fields).encode(), sent)
