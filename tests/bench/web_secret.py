"""A qmilter-web secret for a benchmark's configuration: the shipped notification template
carries each recipient's link, which needs [global] web_secret_file. Standard library only."""
import os
import secrets


def make_web_secret(directory):
    """Create <directory>/web.secret (mode 0600) unless it exists; return its path."""
    path = os.path.join(directory, "web.secret")
    if not os.path.exists(path):
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    return path
