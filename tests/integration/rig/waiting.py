"""Waiting with a deadline instead of fixed sleeps.

wait_until() polls a predicate with a short, growing interval and raises a TimeoutError
that says what was awaited (and, if given, a description of the current state) when the
deadline passes.
"""

import time
from typing import Callable, Optional, TypeVar

T = TypeVar("T")

DEFAULT_TIMEOUT = 20.0


def wait_until(predicate: Callable[[], Optional[T]], what: str,
               timeout: float = DEFAULT_TIMEOUT,
               state: Optional[Callable[[], str]] = None) -> T:
    """Return the first truthy value of predicate(); TimeoutError after `timeout` s."""
    deadline = time.monotonic() + timeout
    interval = 0.01
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            detail = f"\n{state()}" if state else ""
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}{detail}")
        time.sleep(interval)
        interval = min(interval * 1.5, 0.2)
