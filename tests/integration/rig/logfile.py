"""A growing log file that tests read and wait on.

Every process of the rig writes its log to a file (Postfix through postlogd, qmilter's
stderr, smtp-sink's stderr); a test takes a mark() before it acts and then waits for a
line that appears after that mark, so earlier lines of the same module never satisfy it.
"""

import os
import re
from typing import Optional, Pattern, Union

from .waiting import DEFAULT_TIMEOUT, wait_until

Regex = Union[str, Pattern[str]]


class LogFile:
    def __init__(self, path: str, title: str):
        self.path = path
        self.title = title

    def text(self, since: int = 0) -> str:
        try:
            with open(self.path, "rb") as f:
                f.seek(since)
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def mark(self) -> int:
        """Offset of the end of the log now; pass it as `since` to look only at newer lines."""
        try:
            return os.path.getsize(self.path)
        except FileNotFoundError:
            return 0

    def search(self, regex: Regex, since: int = 0) -> Optional[re.Match]:
        return re.search(regex, self.text(since), re.MULTILINE)

    def findall(self, regex: Regex, since: int = 0) -> list:
        return re.findall(regex, self.text(since), re.MULTILINE)

    def wait_for(self, regex: Regex, since: int = 0,
                 timeout: float = DEFAULT_TIMEOUT) -> re.Match:
        """Wait for a line matching regex (re.MULTILINE) after offset `since`."""
        return wait_until(lambda: self.search(regex, since),
                          f"/{getattr(regex, 'pattern', regex)}/ in {self.title}",
                          timeout, state=lambda: self.tail(since))

    def tail(self, since: int = 0, lines: int = 60) -> str:
        text = self.text(since).splitlines()[-lines:]
        return f"--- last lines of {self.title} ({self.path}) ---\n" + "\n".join(text)
