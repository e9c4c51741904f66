"""qmilter.conf(5) against the option schemas themselves, as `qmilter -l` prints them: every
option the core or a built-in plugin declares has an entry in the man page with the schema's
default, so the reference cannot drift from the code. (The README names no option table; it
points at the man page.)"""

import os
import re

import rig

OPTION_LINE = re.compile(r"^      ([a-z0-9_]+) \((.*?)(?:, default (.*?))?\): ")


def schema_options():
    result = rig.run_qmilter(["-l"])
    assert result.returncode == 0, result.stderr
    options = {}
    for line in result.stdout.splitlines():
        match = OPTION_LINE.match(line)
        if match:
            options[match.group(1)] = match.group(3) or ""
    assert "socket_mode" in options and "quarantine_directory" in options, result.stdout
    return options


def read_source(*parts):
    with open(os.path.join(os.environ["QMILTER_SOURCE_DIR"], *parts), encoding="utf-8") as f:
        return f.read()


def mentions(entry, value):
    """Whether the man page entry names `value` as a whole word ("5" is not in "50"), in
    plain text or with troff's escaped hyphens."""
    for spelling in {value, value.replace("-", "\\-")}:
        if re.search(r"(?<![\w.\\-])" + re.escape(spelling) + r"(?![\w-])", entry):
            return True
    return False


def test_man_page_names_every_option_with_its_default():
    man = read_source("packaging", "man", "qmilter.conf.5")
    # An entry is what follows a .TP up to the next section or entry; its first line, the tag,
    # names the options it describes.
    entries = [e.split("\n.SH", 1)[0].split("\n.SS", 1)[0] for e in man.split("\n.TP\n")[1:]]
    problems = []
    for name, default in schema_options().items():
        entry = next((e for e in entries if name in re.findall(r"[a-z0-9_]+", e.split("\n", 1)[0])), None)
        if entry is None:
            problems.append(f"{name}: no entry")
        elif default and not mentions(entry, default):
            problems.append(f"{name}: default {default} not in its entry")
    assert not problems, "\n".join(problems)
