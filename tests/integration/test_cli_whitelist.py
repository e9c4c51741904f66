"""qmilterctl's whitelist commands refusing bad arguments on a DB whitelist (SQLite): an
entry of any length is checked without crashing, at most the column's 255 characters are
stored, DAYS and entry ids outside their range are refused with a short message, and an
unknown whitelist command is named. No MTA needed: routing is in test_whitelist_postfix.py.
"""

import json
import os
import uuid

import pytest

import rig


def qmilterctl(config, *args):
    return rig.run_qmilterctl(["-c", config, *args])


@pytest.fixture
def config(rig_dir):
    """A config whose `spam` quarantine has a SQLite whitelist with one entry."""
    base = os.path.join(rig_dir, f"wl-{uuid.uuid4().hex[:8]}")
    os.makedirs(base)
    path = rig.write_config(os.path.join(base, "qmilter.conf"), rig.simple_config({
        "spam": rig.quarantine_section(whitelist_type="db",
                                       whitelist_db_connection="sqlite:///whitelist.db",
                                       whitelist_db_table="whitelist")}))
    added = qmilterctl(path, "whitelist", "spam", "add", "-f", "friend@example.org", "-t", "")
    assert added.returncode == 0, added.stderr
    return path


def listed(config):
    proc = qmilterctl(config, "whitelist", "spam", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    return [(e["mailfrom"], e["recipient"]) for e in json.loads(proc.stdout)]


@pytest.mark.parametrize("option", ["-f", "-t"])
@pytest.mark.parametrize("value", ["a" * 50000, "a@" + "b" * 50000 + ".org", "a" * 244 + "@example.org"],
                         ids=["50000-local", "50000-domain", "256"])
def test_an_overlong_entry_is_refused_without_crashing(config, option, value):
    other = "-t" if option == "-f" else "-f"
    proc = qmilterctl(config, "whitelist", "spam", "add", option, value, other, "x@example.net")
    assert proc.returncode == 2, (proc.returncode, proc.stderr[:500])
    assert f"is not a valid whitelist entry: it is {len(value)} characters long, at most 255 fit" \
        in proc.stderr, proc.stderr[:500]
    assert len(proc.stderr) < 400  # the value is shown shortened
    assert listed(config) == [("friend@example.org", "")]


def test_an_entry_of_255_characters_is_stored_whole(config):
    value = "a" * 243 + "@example.org"
    assert len(value) == 255
    proc = qmilterctl(config, "whitelist", "spam", "add", "-f", value, "-t", "")
    assert proc.returncode == 0, proc.stderr
    assert (value, "") in listed(config)


@pytest.mark.parametrize("value", ["a@b", "a b@example.org", "@.example.org", "a@example.", "a@@example.org"])
def test_malformed_entries_are_refused(config, value):
    proc = qmilterctl(config, "whitelist", "spam", "add", "-f", value, "-t", "")
    assert proc.returncode == 2, proc.stderr
    assert f"-f/--from '{value}' is not a valid whitelist entry" in proc.stderr, proc.stderr


@pytest.mark.parametrize("days", ["200000000000000", "99999999999999999999", "-5"])
def test_days_outside_the_range_are_refused(config, days):
    proc = qmilterctl(config, "whitelist", "spam", "list", "-b", "-o", days)
    assert proc.returncode == 2, proc.stdout
    assert f"'{days}' is not a number of days from 0 to 36500" in proc.stderr, proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize("entry_id", ["0", "-1", "x"])
def test_an_entry_id_below_one_is_refused_briefly(config, entry_id):
    proc = qmilterctl(config, "whitelist", "spam", "delete", entry_id)
    assert proc.returncode == 2
    assert f"'{entry_id}' is not a whitelist entry id (a whole number from 1 up)" in proc.stderr, \
        proc.stderr
    assert len(proc.stderr) < 200, proc.stderr  # no DBL_MAX written out in 309 digits
    assert listed(config) == [("friend@example.org", "")]


def test_an_unknown_whitelist_command_is_named(config):
    proc = qmilterctl(config, "whitelist", "spam", "frobnicate")
    assert proc.returncode == 2
    assert "qmilterctl: unknown whitelist command 'frobnicate' (commands: list, add, delete, purge)" \
        in proc.stderr, proc.stderr
