"""Running the Lua scripts of tests/integration/miltertest/ with OpenDKIM's miltertest.

miltertest plays the MTA side of the milter protocol against a running filter. The
scripts get the filter's socket as the Lua global `socket` and any further -D defines the
test passes; they report what went wrong with error(...), which makes miltertest exit
non-zero. run_miltertest() returns the CompletedProcess (stdout+stderr as text).
"""

import os
import subprocess
from typing import Dict

MILTERTEST = "/usr/bin/miltertest"
SCRIPT_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "miltertest")


def script_path(name: str) -> str:
    return name if os.path.isabs(name) else os.path.join(SCRIPT_DIR, name)


def run_miltertest(script: str, socket: str, timeout: float = 60,
                   defines: Dict[str, str] = None) -> subprocess.CompletedProcess:
    argv = [MILTERTEST, "-s", script_path(script), "-D", f"socket={socket}"]
    for key, value in (defines or {}).items():
        argv += ["-D", f"{key}={value}"]
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          errors="replace", timeout=timeout)
