"""qmilter.conf(5) against the option schemas themselves, as `qmilter -l` prints them: every
option the core or a built-in plugin declares has an entry in the man page that gives the
schema's description, default, bounds and choices, so the reference cannot drift from the
code. The man page says more than the schema; this checks that it says the schema's part.
(The README names no option table; it points at the man page.)"""

import os
import re
from dataclasses import dataclass, field
from typing import List

import rig

# name (values[, required][, default D]): description  -- see print_option in core/app/main.cpp
OPTION_LINE = re.compile(r"^      ([a-z0-9_]+) \((.*?)(, required)?(?:, default (.*?))?\): (.*)$")


@dataclass
class Option:
    name: str
    default: str
    description: str
    bounds: List[str] = field(default_factory=list)   # min and/or max, as the schema has them
    choices: List[str] = field(default_factory=list)


def parse_values(option: Option, values: str) -> None:
    if values.startswith("one of: "):
        option.choices = values[len("one of: "):].split(", ")
    elif match := re.fullmatch(r"integer, (-?\d+) to (-?\d+)", values):
        option.bounds = [match.group(1), match.group(2)]
    elif match := re.fullmatch(r"integer, at (?:least|most) (-?\d+)", values):
        option.bounds = [match.group(1)]


def schema_options():
    result = rig.run_qmilter(["-l"])
    assert result.returncode == 0, result.stderr
    options = {}
    for line in result.stdout.splitlines():
        match = OPTION_LINE.match(line)
        if match:
            option = Option(match.group(1), match.group(4) or "", match.group(5))
            parse_values(option, match.group(2))
            options[option.name] = option
    assert "socket_mode" in options and "quarantine_directory" in options, result.stdout
    assert options["regex_failure_action"].choices == ["tempfail", "match"], result.stdout
    assert options["whitelist_db_timeout"].bounds == ["1", "300"], result.stdout
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


ONE_FONT = {"B", "I", "R", "SM", "SB"}
TWO_FONTS = {"BR", "RB", "BI", "IB", "IR", "RI"}
ESCAPES = [("\\fB", ""), ("\\fI", ""), ("\\fR", ""), ("\\fP", ""), ("\\&", ""), ("\\-", "-"),
           ("\\(em", "\u2014"), ("\\(dq", '"'), ("\\(->", "\u2192"), ("\\ ", " "), ("\\e", "\\")]


def rendered(troff):
    """The text a reader sees: font macros joined as troff joins them, other requests dropped,
    escapes replaced, white space folded."""
    parts = []
    for line in troff.split("\n"):
        if line.startswith("."):
            macro, _, rest = line[1:].partition(" ")
            if macro not in ONE_FONT | TWO_FONTS:
                continue
            args = [quoted if quoted else plain for quoted, plain in re.findall(r'"([^"]*)"|((?:\\ |\S)+)', rest)]
            line = ("" if macro in TWO_FONTS else " ").join(args)
        parts.append(line)
    text = " ".join(parts)
    for escape, plain in ESCAPES:
        text = text.replace(escape, plain)
    return re.sub(r"\s+", " ", text)


def man_entries():
    """Each entry of the man page, by the option names its tag (the line after .TP) holds."""
    man = read_source("packaging", "man", "qmilter.conf.5")
    # An entry is what follows a .TP up to the next section or entry.
    entries = [e.split("\n.SH", 1)[0].split("\n.SS", 1)[0] for e in man.split("\n.TP\n")[1:]]
    return [(re.findall(r"[a-z0-9_]+", e.split("\n", 1)[0]), e) for e in entries]


def test_man_page_gives_every_option_its_schema_description_default_bounds_and_choices():
    entries = man_entries()
    problems = []
    for name, option in schema_options().items():
        entry = next((text for tag, text in entries if name in tag), None)
        if entry is None:
            problems.append(f"{name}: no entry")
            continue
        if option.default and not mentions(entry, option.default):
            problems.append(f"{name}: default {option.default} not in its entry")
        for bound in option.bounds:
            if not mentions(entry, bound):
                problems.append(f"{name}: bound {bound} not in its entry")
        for choice in option.choices:
            if not mentions(entry, choice):
                problems.append(f"{name}: choice {choice} not in its entry")
        description = option.description.rstrip(".")
        if description.lower() not in rendered(entry).lower():
            problems.append(f"{name}: description \"{description}\" not in its entry")
    assert not problems, "\n".join(problems)


def test_the_rendering_the_check_reads_is_what_troff_shows():
    # The check is only as good as its reading of troff: a bold word, alternating fonts, escapes.
    assert rendered(".B first\nor\n.BR last :\nwhen") == "first or last: when"
    assert rendered('.BI (?P< name > ...)\nincluded') == "(?P<name>...) included"
    assert rendered(".RI \\(dq Name :\\ value \\(dq") == '"Name: value"'  # an escaped space joins
    assert rendered(".\\\" a comment\n.PP\nDefault \\fB0600\\fP, a\\-b \\(em c") == "Default 0600, a-b \u2014 c"
