"""What qmilterctl checks itself instead of trusting the quarantine store, shown with a
store that breaks its contract on purpose (tests/plugins/misbehaving_store): its find()
ignores every filter, its remove_recipient() keeps an entry with no recipients, and it
records every id it is asked for in <directory>/calls. No MTA needed; release goes to
smtp-sink.
"""

import os
import time
import uuid

import pytest

import rig

NOW = int(time.time())
OLD = NOW - 40 * 86400
TRAVERSAL_IDS = ["../etc/passwd", "/etc/passwd", "a/b", "..", ".hidden", "a b", ""]


def qmilterctl(*args):
    return rig.run_qmilterctl(args)


def misbehaving_plugin() -> str:
    path = os.path.join(rig.build_dir(), "tests", "plugins", "quarantine_misbehaving.so")
    if not os.path.exists(path):
        pytest.fail(f"test plugin not built: {path} (build the target quarantine_misbehaving)")
    return path


class Store:
    """The misbehaving store's directory, with a config naming it as quarantine `spam`."""

    def __init__(self, base: str, smtp_sink):
        self.directory = os.path.join(base, "entries")
        os.makedirs(self.directory)
        self.config = rig.write_config(os.path.join(base, "qmilter.conf"), rig.simple_config({
            "spam": rig.quarantine_section(quarantine_type=misbehaving_plugin(),
                                           misbehaving_directory=self.directory,
                                           smtp_host=smtp_sink.host, smtp_port=smtp_sink.port)}))

    def add(self, entry_id, mailfrom, recipients, date):
        with open(os.path.join(self.directory, entry_id + ".entry"), "w") as f:
            f.write(f"from {mailfrom}\ndate {date}\n" + "".join(f"to {r}\n" for r in recipients))

    def ids(self):
        return sorted(name[:-len(".entry")] for name in os.listdir(self.directory)
                      if name.endswith(".entry"))

    def recipients(self, entry_id):
        with open(os.path.join(self.directory, entry_id + ".entry")) as f:
            return [line[3:].strip() for line in f if line.startswith("to ")]

    def calls(self):
        path = os.path.join(self.directory, "calls")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [line.rstrip("\n") for line in f]

    def ctl(self, *args):
        return qmilterctl("-c", self.config, "quarantine", "spam", *args)


@pytest.fixture
def store(rig_dir, smtp_sink):
    return Store(os.path.join(rig_dir, f"misbehaving-{uuid.uuid4().hex[:8]}"), smtp_sink)


def ok(proc):
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_purge_deletes_nothing_young_although_the_store_ignores_the_age(store):
    store.add("old", "s@example.org", ["a@example.com"], OLD)
    store.add("young", "s@example.org", ["a@example.com"], NOW - 60)
    store.add("today", "s@example.org", ["a@example.com"], NOW)
    proc = store.ctl("purge", "-o", "30", "-b")
    assert ok(proc).split() == ["old"]
    assert store.ids() == ["today", "young"]
    assert "do not match the filter" in proc.stderr
    assert "find " in store.calls(), "the store was never asked: the test shows nothing"


def test_list_shows_only_entries_matching_age_sender_and_recipient(store):
    store.add("old", "s@example.org", ["a@example.com"], OLD)
    store.add("young", "s@example.org", ["a@example.com"], NOW)
    store.add("other-sender", "x@example.org", ["a@example.com"], OLD)
    store.add("other-rcpt", "s@example.org", ["b@example.com", "c@example.com"], OLD)
    assert sorted(ok(store.ctl("list", "-b", "-o", "30")).split()) == [
        "old", "other-rcpt", "other-sender"]
    assert sorted(ok(store.ctl("list", "-b", "-o", "30", "-f", "S@example.org")).split()) == [
        "old", "other-rcpt"]
    assert sorted(ok(store.ctl("list", "-b", "-t", "c@example.com")).split()) == ["other-rcpt"]
    assert sorted(ok(store.ctl("list", "-b", "-o", "30", "-f", "s@example.org",
                               "-t", "a@example.com")).split()) == ["old"]
    assert sorted(ok(store.ctl("list", "-b")).split()) == store.ids()


@pytest.mark.parametrize("command", [["get"], ["metadata"], ["delete", "-a"],
                                     ["delete", "-t", "a@example.com"], ["release", "-a"],
                                     ["notify", "-a"]])
def test_an_id_that_is_not_a_plain_name_never_reaches_the_store(store, command):
    store.add("kept", "s@example.org", ["a@example.com"], OLD)
    answers = {bad: store.ctl(command[0], bad, *command[1:]) for bad in TRAVERSAL_IDS}
    assert store.calls() == [], "the store was asked for a refused id"
    for bad, proc in answers.items():
        assert proc.returncode == 1, (bad, proc.stdout, proc.stderr)
        assert f"invalid quarantine id '{bad}'" in proc.stderr, proc.stderr
    assert store.ids() == ["kept"]
    # the same command with a good id does reach the store
    store.ctl(command[0], "kept", *command[1:])
    assert any(call.endswith(" kept") for call in store.calls())


def test_deleting_the_last_recipient_removes_the_entry(store):
    store.add("two", "s@example.org", ["a@example.com", "b@example.com"], OLD)
    ok(store.ctl("delete", "two", "-t", "a@example.com"))
    assert store.recipients("two") == ["b@example.com"]
    ok(store.ctl("delete", "two", "-t", "b@example.com"))
    assert store.ids() == []
    store.add("both", "s@example.org", ["a@example.com", "b@example.com"], OLD)
    ok(store.ctl("delete", "both", "-t", "a@example.com", "-t", "b@example.com"))
    assert store.ids() == []


def test_releasing_to_the_last_recipient_removes_the_entry(store, smtp_sink):
    first, second = rig.unique_address(), rig.unique_address()
    store.add("held", "s@example.org", [first, second], OLD)
    ok(store.ctl("release", "held", "-t", first))
    smtp_sink.wait_for_message(first)
    assert store.recipients("held") == [second]
    ok(store.ctl("release", "held", "-a"))
    smtp_sink.wait_for_message(second)
    assert store.ids() == []


def test_an_invalid_id_listed_by_the_store_stops_purge_before_it_deletes_anything(store):
    store.add("old", "s@example.org", ["a@example.com"], OLD)
    store.add(".hidden", "s@example.org", ["a@example.com"], OLD)
    proc = store.ctl("purge", "-o", "30")
    assert proc.returncode == 1, proc.stdout
    assert "the store listed an invalid id '.hidden'" in proc.stderr, proc.stderr
    assert store.ids() == [".hidden", "old"]
    assert not [call for call in store.calls() if call.startswith("remove")]
