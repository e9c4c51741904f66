"""The plugin contract as the real daemon enforces it.

- An override that throws (no catch, no noexcept, as the SDK asks) costs the message a
  TEMPFAIL, never the daemon: the guard QMILTER_PLUGIN compiles into the plugin turns the
  exception into an Error. The fixtures are tests/unit/core/fixtures/throwing_plugin.cpp,
  one .so per kind; the Subject picks a std::exception or an int.
- An override declared noexcept cannot be guarded (std::terminate runs inside the plugin),
  so building such a plugin against the SDK fails and names the method.
- A plugin built for SDK ABI 1.x is refused at load, naming the file, both ABI versions and
  the qmilter-devel to rebuild it with.
- An id from store() that qmilterctl could not name (tests/plugins/misbehaving_store returns
  what it is told) is a store failure: TEMPFAIL, a log line naming the quarantine, the store
  and the problem, and no notification with it (the notifier is one that fails whenever it
  is called, so a call would show in the log).
"""

import os
import re
import subprocess

import pytest

import rig

FIXTURE_DIR = os.path.join(rig.build_dir(), "tests", "fixtures")
SDK_INCLUDE = os.path.join(rig.source_dir(), "sdk", "include")


def fixture(name: str) -> str:
    path = os.path.join(FIXTURE_DIR, f"{name}.so")
    if not os.path.exists(path):
        pytest.fail(f"test plugin not built: {path}")
    return path


def sdk_abi() -> str:
    with open(os.path.join(SDK_INCLUDE, "qmilter", "sdk", "abi.hpp")) as f:
        text = f.read()
    major = re.search(r"^#define QMILTER_SDK_ABI_MAJOR (\d+)", text, re.M).group(1)
    minor = re.search(r"^#define QMILTER_SDK_ABI_MINOR (\d+)", text, re.M).group(1)
    return f"{major}.{minor}"


def section_with_throwing(kind: str) -> dict:
    option = "action" if kind == "action" else f"{kind}_type"
    return rig.quarantine_section(**{option: fixture(f"test_plugin_throwing_{kind}")})


def send_matching(qmilter, subject: str, queue_id: str) -> str:
    result = rig.run_miltertest("matched_tempfailed.lua", qmilter.socket, defines={
        "scriptdir": rig.miltertest.SCRIPT_DIR, "subject": subject, "queue_id": queue_id})
    assert result.returncode == 0, f"{result.stdout}\n--- qmilter log:\n{qmilter.log.text()}"
    return result.stdout


@pytest.mark.parametrize("kind, thrown", [
    ("quarantine", "runtime_error"), ("quarantine", "int"),
    ("whitelist", "runtime_error"),
    ("notification", "runtime_error"), ("notification", "int"),
    ("action", "runtime_error"), ("action", "int"),
])
def test_throwing_override_gives_tempfail_and_the_daemon_keeps_running(start_qmilter, kind, thrown):
    qmilter = start_qmilter(rig.simple_config({"spam": section_with_throwing(kind)}))
    subject = "throw-int" if thrown == "int" else "buy now"
    for attempt in range(2):  # the daemon that answered the first one answers the next
        mark = qmilter.log.mark()
        queue_id = f"THROW{attempt}{kind[:4].upper()}"
        assert "ok:" in send_matching(qmilter, subject, queue_id)
        qmilter.log.wait_for(rf"{queue_id}.*temporary failure: .*unexpected exception", since=mark)
        assert qmilter.running(), qmilter.log.text()
    run = rig.run_miltertest("clean_accepted_at_eoh.lua", qmilter.socket,
                             defines={"scriptdir": rig.miltertest.SCRIPT_DIR})
    assert run.returncode == 0, run.stdout
    assert qmilter.running()


NOEXCEPT_PLUGIN = r"""
// What an author wrote when the documentation said the methods are noexcept.
#include <stdexcept>
#include "qmilter/sdk/sdk.hpp"
using namespace qmilter::sdk;
class EagerNotifier final : public Notifier {
 public:
  static std::vector<OptionSpec> option_schema() { return {}; }
  static Result<std::unique_ptr<EagerNotifier>> create(const Options&, const PluginContext&) {
    return std::make_unique<EagerNotifier>();
  }
  bool sends_notifications() const override { return true; }
  Status notify(const MessageView&, const std::vector<std::string>&, std::string_view,
                const Match&) noexcept override {
    throw std::runtime_error("forgot to catch");
  }
};
QMILTER_PLUGIN(EagerNotifier, "eager", "1.0.0", "declares its override noexcept")
"""


# The same plugin, changed so that the override hides from the check, or the factory is noexcept.
NOEXCEPT_VARIANTS = {
    "override": (NOEXCEPT_PLUGIN, "Notifier::notify override must not be noexcept"),
    "private override": (NOEXCEPT_PLUGIN.replace("  bool sends_notifications", " private:\n  bool sends_notifications"),
                         "Notifier overrides must be public"),
    "create": (NOEXCEPT_PLUGIN.replace("const PluginContext&) {", "const PluginContext&) noexcept {")
               .replace("const Match&) noexcept override", "const Match&) override"),
               "create() must not be noexcept"),
}


@pytest.mark.parametrize("variant", list(NOEXCEPT_VARIANTS))
def test_a_noexcept_override_does_not_build(rig_dir, variant):
    text, error = NOEXCEPT_VARIANTS[variant]
    source = os.path.join(rig_dir, "noexcept_notifier.cpp")
    with open(source, "w") as f:
        f.write(text)
    result = subprocess.run(
        ["c++", "-std=c++20", "-shared", "-fPIC", "-fvisibility=hidden", f"-I{SDK_INCLUDE}",
         "-o", os.path.join(rig_dir, "noexcept_notifier.so"), source],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    assert result.returncode != 0, f"a plugin with a noexcept {variant} was built"
    assert error in result.stdout, result.stdout


def test_plugin_built_for_sdk_1_is_refused_naming_the_devel_package(rig_dir):
    plugin = fixture("test_plugin_sdk_1_0")
    path = rig.write_config(os.path.join(rig_dir, "sdk-1.conf"), rig.simple_config(
        {"spam": rig.quarantine_section(notification_type=plugin)}))
    result = rig.run_qmilter(["-t", "-c", path])
    assert result.returncode != 0, result.stdout + result.stderr
    abi = sdk_abi()
    assert (f"{os.path.realpath(plugin)}: plugin built for SDK ABI 1.0, this qmilter has ABI {abi}: "
            f"rebuild it against this qmilter's qmilter-devel (") in result.stderr, result.stderr
    assert re.search(rf"qmilter-devel \([0-9.]+, SDK ABI {re.escape(abi)}\)", result.stderr), result.stderr


def misbehaving_store_section(rig_dir: str, stored_id: str) -> dict:
    store = os.path.join(rig.build_dir(), "tests", "plugins", "quarantine_misbehaving.so")
    if not os.path.exists(store):
        pytest.fail(f"test plugin not built: {store}")
    directory = os.path.join(rig_dir, f"misbehaving-{abs(hash(stored_id))}")
    os.makedirs(directory, exist_ok=True)
    section = rig.quarantine_section(quarantine_type=store, misbehaving_directory=directory,
                                     misbehaving_stored_id=stored_id,
                                     notification_type=fixture("test_plugin_failing_notifier"))
    return section, os.path.join(directory, "calls")


def calls(path: str) -> list:
    with open(path) as f:
        return [line.rstrip("\n") for line in f]


LONG_ID = "x" * 300


@pytest.mark.parametrize("stored_id, shown, problem", [
    ("../escape", "../escape", "it contains '/': an id is a plain entry name, not a path"),
    ("EMPTY", "", "the store keeps messages but returned an empty id"),
    ("a b", "a b", "it contains characters other than letters, digits, '_', '-' and '.'"),
    (LONG_ID, "x" * 80 + "...", "the quarantine id is longer than 246 characters"),
])
def test_an_unusable_store_id_is_a_store_failure_and_nobody_is_notified(rig_dir, start_qmilter,
                                                                         stored_id, shown, problem):
    section, calls_file = misbehaving_store_section(rig_dir, stored_id)
    qmilter = start_qmilter(rig.simple_config({"spam": section}))
    mark = qmilter.log.mark()
    assert "ok:" in send_matching(qmilter, "bad id", "BADID1")
    qmilter.log.wait_for(
        r"BADID1.*temporary failure: quarantine 'spam': storing failed: quarantine_type '[^']*"
        r"quarantine_misbehaving\.so' \(plugin 'misbehaving'\) returned the unusable id '"
        + re.escape(shown) + "': " + re.escape(problem), since=mark)
    assert "notifying" not in qmilter.log.text(mark), qmilter.log.text(mark)
    # The bad id is never handed back to the store either (no clean-up with remove()).
    assert calls(calls_file) == ["store " + ("" if stored_id == "EMPTY" else stored_id)]
    assert qmilter.running()


def test_a_usable_store_id_reaches_the_notifier(rig_dir, start_qmilter):
    # The control for the test above: with a good id the failing notifier is called, and the
    # entry is removed again because the attempt failed.
    section, calls_file = misbehaving_store_section(rig_dir, "20260101000000_GOODID")
    qmilter = start_qmilter(rig.simple_config({"spam": section}))
    mark = qmilter.log.mark()
    assert "ok:" in send_matching(qmilter, "good id", "GOODID1")
    qmilter.log.wait_for(r"GOODID1.*temporary failure: quarantine 'spam': notifying failed: outbox not writable",
                         since=mark)
    assert calls(calls_file) == ["store 20260101000000_GOODID", "remove 20260101000000_GOODID"]
