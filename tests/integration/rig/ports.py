"""Free TCP ports on loopback, chosen at run time.

The kernel picks the port (bind to port 0); the socket is closed before the caller binds
it, so another process could take it in between - rare enough on a test machine, and the
servers started with it fail loudly if it happens.
"""

import socket


def free_port(host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def tcp_port_listening(port: int) -> bool:
    """Whether some socket listens on TCP `port` (IPv4 or IPv6), without connecting to it
    (a probe connection would show up in the server's log, and Postfix would even call
    its milters for it)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    # local_address is HEXIP:HEXPORT; state 0A is LISTEN.
                    if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        return True
        except FileNotFoundError:
            pass
    return False


def ipv6_loopback_available() -> bool:
    """Whether ::1 can be bound (IPv6 may be disabled in a container)."""
    try:
        free_port("::1")
        return True
    except OSError:
        return False
