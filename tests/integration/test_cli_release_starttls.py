"""qmilterctl release through a server that offers STARTTLS (release uses STARTTLS when the
server offers it): the test runs a small SMTP server of its own on 127.0.0.1 with a fresh
self-signed certificate (Python's ssl module), records whether each transaction ran inside
TLS and the exact DATA bytes on the wire, and checks that the released message arrives
encrypted, CRLF-normalised and dot-stuffed exactly once, one transaction per recipient.
"""

import json
import os
import socket
import ssl
import subprocess
import threading
import uuid

import pytest

import rig


class StarttlsServer:
    """EHLO (offers STARTTLS), STARTTLS, MAIL, RCPT, DATA, QUIT; one thread per connection."""

    def __init__(self, cert, key):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.transactions = []  # dicts: tls, mail, rcpts, data (raw bytes up to the final dot)
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def close(self):
        self.listener.close()

    def _serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn):
        conn.settimeout(30)
        stream = conn.makefile("rwb")
        tls = False
        current = {"rcpts": []}

        def reply(line):
            stream.write(line.encode() + b"\r\n")
            stream.flush()

        try:
            reply("220 tls.test ESMTP")
            while True:
                line = stream.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if verb == b"EHLO":
                    reply("250-tls.test")
                    reply("250-PIPELINING" if tls else "250-STARTTLS")
                    reply("250 8BITMIME")
                elif verb == b"STAR":
                    reply("220 2.0.0 Ready to start TLS")
                    conn = self.context.wrap_socket(conn, server_side=True)
                    stream = conn.makefile("rwb")
                    tls = True
                elif verb == b"MAIL":
                    current = {"rcpts": [], "mail": line.decode().strip(), "tls": tls}
                    reply("250 2.1.0 Ok")
                elif verb == b"RCPT":
                    current["rcpts"].append(line.decode().strip())
                    reply("250 2.1.5 Ok")
                elif verb == b"DATA":
                    reply("354 go ahead")
                    data = b""
                    while not data.endswith(b"\r\n.\r\n"):
                        chunk = stream.readline()
                        if not chunk:
                            return
                        data += chunk
                    current["data"] = data
                    with self.lock:
                        self.transactions.append(current)
                    reply("250 2.0.0 Ok: queued")
                elif verb == b"QUIT":
                    reply("221 2.0.0 Bye")
                    return
                else:
                    reply("502 5.5.2 unknown command")
        except (OSError, ssl.SSLError):
            return
        finally:
            conn.close()


@pytest.fixture
def tls_server(rig_dir):
    cert, key = os.path.join(rig_dir, "tls.crt"), os.path.join(rig_dir, "tls.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=tls.test", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    server = StarttlsServer(cert, key)
    yield server
    server.close()


def test_release_uses_starttls_and_sends_the_message_exactly(rig_dir, tls_server):
    base = os.path.join(rig_dir, f"tls-{uuid.uuid4().hex[:8]}")
    directory = os.path.join(base, "quarantine")
    os.makedirs(directory)
    qid = "20261124120000_TLS1"
    head = b"From: s@example.org\nSubject: over TLS\n\n"
    body = b"first\r\n.leading dot\r\n..two\r\n\r\nlast\r\n"
    with open(os.path.join(directory, qid), "wb") as f:
        f.write(head + body)
    with open(os.path.join(directory, qid + ".metadata"), "w") as f:
        json.dump({"mailfrom": "s@example.org", "recipients": ["a@example.com", "b@example.com"],
                   "headers": {"subject": "over TLS"}, "date": 1790000000, "queue_id": "TLS1",
                   "subgroups": [], "named_subgroups": {}}, f, indent=2)
    config = rig.write_config(os.path.join(base, "qmilter.conf"), rig.simple_config({
        "spam": rig.quarantine_section(quarantine_type="file", quarantine_directory="quarantine",
                                       smtp_port=tls_server.port)}))

    binary = os.path.join(rig.build_dir(), "bin", "qmilterctl")
    proc = subprocess.run([binary, "-c", config, "quarantine", "spam", "release", qid, "-a"],
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")

    done = tls_server.transactions
    assert [t["rcpts"] for t in done] == [["RCPT TO:<a@example.com>"], ["RCPT TO:<b@example.com>"]]
    for t in done:
        assert t["tls"], "the transaction did not run inside TLS"
        assert t["mail"] == "MAIL FROM:<s@example.org>"
        assert t["data"] == (b"From: s@example.org\r\nSubject: over TLS\r\n\r\n"
                             b"first\r\n..leading dot\r\n...two\r\n\r\nlast\r\n.\r\n")
    assert os.listdir(directory) == []
