"""A relay that takes a message's end of data but holds its "250" reply until released.

It models a slow relay at the worst moment for at-least-once delivery: the message is at
the relay (a real MTA has queued it), the client has no answer yet. HoldingRelay records
every message whose end of data arrived (.received, with its Message-ID) and answers all
held ones once release() is called (or at once, after it). With answer_first=N it answers the
first N messages at once (.accepted) and holds only the later ones — or, with
then_fail=True, refuses those with a 451 instead (a relay that goes down mid-run). Plain
SMTP, one thread per connection; start() binds 127.0.0.1:<free port>, stop() closes everything.
"""

import re
import socket
import threading
from typing import List, Optional

from .ports import free_port


class HoldingRelay:
    def __init__(self, port: Optional[int] = None, answer_first: int = 0, then_fail: bool = False):
        self.host = "127.0.0.1"
        self.port = port or free_port(self.host)
        self.received: List[bytes] = []   # messages whose end of data arrived
        self.accepted: List[bytes] = []   # messages answered with 250
        self._answer_first = answer_first
        self._then_fail = then_fail
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._listener: Optional[socket.socket] = None
        self._threads: List[threading.Thread] = []

    def start(self) -> "HoldingRelay":
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((self.host, self.port))
        self._listener.listen(16)
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def release(self) -> None:
        self._released.set()

    def message_ids(self) -> List[str]:
        with self._lock:
            found = [re.search(rb"^Message-ID:\s*(\S+)", m, re.MULTILINE | re.IGNORECASE)
                     for m in self.received]
        return [m.group(1).decode() if m else "" for m in found]

    def stop(self) -> None:
        self._released.set()
        if self._listener is not None:
            self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        try:
            conn.sendall(b"220 holding.relay.test ESMTP\r\n")
            while True:
                line = reader.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if verb == b"DATA":
                    conn.sendall(b"354 go ahead\r\n")
                    data = bytearray()
                    while True:
                        chunk = reader.readline()
                        if not chunk:
                            return  # the client gave up before the end of data: not received
                        if chunk == b".\r\n":
                            break
                        data += chunk[1:] if chunk.startswith(b"..") else chunk
                    with self._lock:
                        self.received.append(bytes(data))
                        at_once = len(self.received) <= self._answer_first
                    if not at_once and self._then_fail:
                        conn.sendall(b"451 4.3.0 relay going down\r\n")
                        continue
                    if not at_once:
                        self._released.wait()
                    conn.sendall(b"250 2.0.0 queued\r\n")
                    with self._lock:
                        self.accepted.append(bytes(data))
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 ok\r\n")
        except OSError:
            return
        finally:
            conn.close()
