"""An SMTP client for the tests that keeps every reply and lets the test pick its IP.

send_mail() speaks to Postfix's smtpd from a chosen loopback address (any 127.x.y.z is a
local address on Linux, so tests can play several clients: ignore_hosts etc.) and returns
an SmtpResult with the reply (code, text) of each step instead of raising on a refusal.
make_message() builds a small RFC 5322 message with CRLF line ends.
"""

import smtplib
import uuid
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

Reply = Tuple[int, str]


@dataclass
class SmtpResult:
    connect: Optional[Reply] = None
    ehlo: Optional[Reply] = None
    mail: Optional[Reply] = None
    rcpts: Dict[str, Reply] = field(default_factory=dict)
    data: Optional[Reply] = None
    error: Optional[str] = None       # the connection broke (e.g. 421 + disconnect)

    @property
    def final(self) -> Optional[Reply]:
        """The reply that decided the transaction: DATA's, or the first refusal before."""
        for reply in [self.connect, self.ehlo, self.mail, *self.rcpts.values(), self.data]:
            if reply is not None and reply[0] >= 400:
                return reply
        return self.data

    @property
    def accepted(self) -> bool:
        return self.data is not None and self.data[0] == 250

    @property
    def queue_id(self) -> Optional[str]:
        """Postfix's queue id from `250 2.0.0 Ok: queued as XXXX`."""
        if self.data and "queued as " in self.data[1]:
            return self.data[1].rsplit("queued as ", 1)[1].strip()
        return None

    def __str__(self) -> str:
        return (f"connect={self.connect} ehlo={self.ehlo} mail={self.mail} "
                f"rcpts={self.rcpts} data={self.data} error={self.error}")


def _reply(code: int, text: Union[bytes, str]) -> Reply:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return code, text


def send_mail(host: str, port: int, mail_from: str, rcpts: Sequence[str],
              message: Union[bytes, str], client_ip: str = "127.0.0.1",
              helo: str = "client.rig.test", timeout: float = 60) -> SmtpResult:
    """One SMTP transaction; every reply is recorded, nothing raises on 4xx/5xx."""
    if isinstance(message, str):
        message = message.encode("utf-8")
    result = SmtpResult()
    smtp = smtplib.SMTP(timeout=timeout, source_address=(client_ip, 0))
    try:
        result.connect = _reply(*smtp.connect(host, port))
        if result.connect[0] != 220:
            return result
        result.ehlo = _reply(*smtp.ehlo(helo))
        if result.ehlo[0] != 250:
            return result
        result.mail = _reply(*smtp.mail(mail_from))
        if result.mail[0] != 250:
            return result
        for rcpt in rcpts:
            result.rcpts[rcpt] = _reply(*smtp.rcpt(rcpt))
        if not any(r[0] in (250, 251) for r in result.rcpts.values()):
            return result
        result.data = _reply(*smtp.data(message))
        smtp.quit()
    except smtplib.SMTPServerDisconnected as e:
        result.error = f"server disconnected: {e}"
    except smtplib.SMTPResponseException as e:
        result.error = f"{e.smtp_code} {e.smtp_error!r}"
    finally:
        smtp.close()
    return result


def unique_address(local: str = "user", domain: str = "example.com") -> str:
    """A recipient no other test of the session uses (the sink is shared per module)."""
    return f"{local}-{uuid.uuid4().hex[:10]}@{domain}"


def make_message(headers: Union[Dict[str, str], Iterable[Tuple[str, str]]] = (),
                 body: str = "Hello.\r\n", subject: str = "test",
                 sender: str = "sender@example.org", to: str = "rcpt@example.com") -> bytes:
    """A message with From/To/Subject/Message-ID/Date plus `headers`, CRLF line ends."""
    items: List[Tuple[str, str]] = [
        ("From", sender), ("To", to), ("Subject", subject),
        ("Message-ID", f"<{uuid.uuid4().hex}@rig.test>"),
        ("Date", "Tue, 24 Nov 2026 12:00:00 +0000"),
    ]
    items += list(headers.items()) if isinstance(headers, dict) else list(headers)
    head = "".join(f"{k}: {v}\r\n" for k, v in items)
    body = body.replace("\r\n", "\n").replace("\n", "\r\n")
    return (head + "\r\n" + body).encode("utf-8")
