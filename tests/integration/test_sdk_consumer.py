"""A third-party plugin built against the installed SDK, loaded by the installed daemon.

The project (already built by the test run) is installed with `cmake --install` into a
scratch prefix; the example plugin that installed with it (share/doc/qmilter-devel/examples,
the same files as sdk/examples) is copied out of the prefix and configured, built and
installed against that prefix only (CMAKE_PREFIX_PATH=<prefix>, no path into the source
tree). The
prefix's qmilter then loads the example (notification_type = logfile, by name and by path)
and, with a message driven through it by miltertest, appends a line per quarantined
recipient to the file its option names and counts them in its own metric on the host's
/metrics. A plugin built for another ABI is refused with the loader's message naming the
file, both versions and the qmilter-devel to rebuild with.
"""

import os
import re
import shutil
import subprocess
import tempfile
import urllib.request
from typing import Dict, List, Tuple

import pytest

import rig

SOURCE_DIR = rig.source_dir()
BUILD_DIR = rig.build_dir()
EXAMPLE_PLUGIN = "notification_logfile"
INSTALLED_EXAMPLES = "share/doc/qmilter-devel/examples"
QUEUE_ID = "4XqmSdk1"


def run(argv: List[str], timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          errors="replace", timeout=timeout, **kwargs)


def checked(argv: List[str], **kwargs) -> str:
    result = run(argv, **kwargs)
    assert result.returncode == 0, f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout}"
    return result.stdout


def clean_env() -> Dict[str, str]:
    """The environment without anything that could point CMake or pkg-config elsewhere."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CMAKE_", "PKG_CONFIG", "CPATH", "CPLUS_INCLUDE"))}
    return env


@pytest.fixture(scope="module")
def scratch():
    path = tempfile.mkdtemp(prefix="qmilter-sdk-test.", dir="/tmp")
    os.chmod(path, 0o755)
    yield path
    if os.environ.get("QMILTER_KEEP_RIG") != "1":
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def prefix(scratch) -> str:
    path = os.path.join(scratch, "prefix")
    checked(["cmake", "--install", BUILD_DIR, "--prefix", path], env=clean_env())
    return path


@pytest.fixture(scope="module")
def daemon(prefix) -> str:
    for candidate in ("sbin/qmilter", "bin/qmilter"):
        path = os.path.join(prefix, candidate)
        if os.access(path, os.X_OK):
            return path
    pytest.fail(f"cmake --install put no qmilter under {prefix}")


@pytest.fixture(scope="module")
def abi(prefix) -> Tuple[int, int]:
    """The ABI the installed headers declare."""
    with open(os.path.join(prefix, "include/qmilter/sdk/abi.hpp")) as f:
        text = f.read()
    return (int(re.search(r"^#define QMILTER_SDK_ABI_MAJOR (\d+)", text, re.M).group(1)),
            int(re.search(r"^#define QMILTER_SDK_ABI_MINOR (\d+)", text, re.M).group(1)))


def cmake_configure(source: str, build: str, prefix: str, *extra: str) -> subprocess.CompletedProcess:
    return run(["cmake", "-S", source, "-B", build, f"-DCMAKE_PREFIX_PATH={prefix}",
                f"-DCMAKE_INSTALL_PREFIX={prefix}", "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF",
                "-DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF", *extra], env=clean_env())


@pytest.fixture(scope="module")
def example(scratch, prefix) -> Dict[str, str]:
    """The installed examples copied out of the prefix, built and installed into it."""
    source = os.path.join(scratch, "example-src")
    build = os.path.join(scratch, "example-build")
    shutil.copytree(os.path.join(prefix, INSTALLED_EXAMPLES), source)
    configured = cmake_configure(source, build, prefix, "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON")
    assert configured.returncode == 0, configured.stdout
    checked(["cmake", "--build", build, "-j2"], env=clean_env())
    installed = checked(["cmake", "--install", build], env=clean_env())
    plugin = [line.split()[-1] for line in installed.splitlines() if line.endswith(".so")]
    assert len(plugin) == 1, installed
    return {"source": source, "build": build, "plugin": plugin[0], "configure": configured.stdout}


def test_pkg_config_describes_the_installed_sdk(prefix, abi):
    env = {**clean_env(), "PKG_CONFIG_PATH": os.path.join(prefix, "share/pkgconfig")}
    version = checked(["pkg-config", "--modversion", "qmilter-sdk"], env=env).strip()
    assert version == f"{abi[0]}.{abi[1]}"
    cflags = checked(["pkg-config", "--cflags", "qmilter-sdk"], env=env).split()
    assert [os.path.realpath(f[2:]) for f in cflags if f.startswith("-I")] == \
        [os.path.realpath(os.path.join(prefix, "include"))]
    plugindir = checked(["pkg-config", "--variable=plugindir", "qmilter-sdk"], env=env).strip()
    assert os.path.isdir(plugindir) and os.listdir(plugindir), plugindir


@pytest.mark.parametrize("request_version, accepted", [
    ("{major}", True), ("{major}.{minor}", True), ("{major}.{minor_next}", False),
    ("{major_next}", False), ("{major_prev}", False)])
def test_version_file_accepts_the_same_abi_major_only(scratch, prefix, abi, request_version, accepted):
    major, minor = abi
    wanted = request_version.format(major=major, minor=minor, minor_next=minor + 1,
                                     major_next=major + 1, major_prev=major - 1)
    project = os.path.join(scratch, f"find-{wanted}")
    os.makedirs(project, exist_ok=True)
    with open(os.path.join(project, "CMakeLists.txt"), "w") as f:
        f.write("cmake_minimum_required(VERSION 3.20)\nproject(probe NONE)\n"
                f"find_package(qmilter-sdk {wanted} REQUIRED)\n"
                "get_target_property(inc qmilter::sdk INTERFACE_INCLUDE_DIRECTORIES)\n"
                'message(STATUS "sdk ${qmilter-sdk_VERSION} at ${inc}")\n')
    result = cmake_configure(project, os.path.join(project, "build"), prefix)
    assert (result.returncode == 0) == accepted, result.stdout
    if accepted:
        assert f"sdk {major}.{minor} at {os.path.join(prefix, 'include')}" in result.stdout


def test_example_builds_from_the_installed_sdk_only(example, prefix):
    with open(os.path.join(example["build"], "CMakeCache.txt")) as f:
        found = re.search(r"^qmilter-sdk_DIR:PATH=(.*)$", f.read(), re.M).group(1)
    assert os.path.realpath(found).startswith(os.path.realpath(prefix) + "/"), found
    with open(os.path.join(example["build"], "compile_commands.json")) as f:
        commands = f.read()
    assert os.path.join(prefix, "include") in commands
    assert SOURCE_DIR not in commands and BUILD_DIR not in commands, commands
    assert example["plugin"].startswith(prefix + "/")
    exported = checked(["nm", "-D", "--defined-only", example["plugin"]]).split("\n")
    entry_points = sorted(line.split()[-1] for line in exported if " T " in line)
    assert entry_points == ["qmilter_plugin_describe", "qmilter_plugin_factory"], exported


def logfile_config(scratch: str, log_path: str, notification_type: str = "logfile") -> dict:
    return rig.simple_config({"spam": rig.quarantine_section(
        regex=r"^X-Spam-Flag: YES", action="discard", notification_type=notification_type,
        notification_logfile_path=log_path)}, state_dir=os.path.join(scratch, "state"))


def write_config(scratch: str, name: str, sections: dict) -> str:
    os.makedirs(os.path.join(scratch, "state"), exist_ok=True)
    return rig.write_config(os.path.join(scratch, name), sections)


def qmilter_check(daemon: str, config: str) -> subprocess.CompletedProcess:
    return run([daemon, "-t", "-c", config], timeout=60, env=clean_env())


def test_installed_daemon_loads_the_example_by_name_and_by_path(example, daemon, scratch):
    log_path = os.path.join(scratch, "check.log")
    for name, type_value in (("by-name.conf", "logfile"), ("by-path.conf", example["plugin"])):
        config = write_config(scratch, name, logfile_config(scratch, log_path, type_value))
        result = qmilter_check(daemon, config)
        assert result.returncode == 0 and "Configuration ok" in result.stdout, result.stdout
    assert not os.path.exists(log_path), "qmilter -t must not create the plugin's file"


def test_example_plugin_reports_a_bad_option(example, daemon, scratch):
    missing = os.path.join(scratch, "no-such-dir", "x.log")
    config = write_config(scratch, "bad-option.conf", logfile_config(scratch, missing))
    result = qmilter_check(daemon, config)
    assert result.returncode != 0
    assert "notification_logfile_path" in result.stdout and missing in result.stdout, result.stdout


MILTERTEST_SCRIPT = """
-- One message whose X-Spam-Flag header puts both recipients into the `spam` quarantine.
local conn = mt.connect(socket, 40, 0.25)
if conn == nil then error("cannot connect to " .. socket) end
if mt.conninfo(conn, "client.example.org", "192.0.2.10") ~= nil then error("conninfo") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("connect not continued") end
if mt.macro(conn, SMFIC_MAIL, "i", queue_id) ~= nil then error("macro") end
if mt.mailfrom(conn, "<Sender@Example.ORG>") ~= nil then error("mailfrom") end
if mt.rcptto(conn, "<Alice@Example.COM>") ~= nil then error("rcptto alice") end
if mt.rcptto(conn, "<bob@example.com>") ~= nil then error("rcptto bob") end
if mt.header(conn, "From", "sender@example.org") ~= nil then error("header") end
if mt.header(conn, "X-Spam-Flag", "YES") ~= nil then error("header") end
if mt.header(conn, "Subject", "sdk consumer test") ~= nil then error("header") end
if mt.eoh(conn) ~= nil then error("eoh") end
if mt.bodystring(conn, "Hello from the SDK test\\r\\n") ~= nil then error("body") end
if mt.eom(conn) ~= nil then error("eom") end
if mt.getreply(conn) ~= SMFIR_DISCARD then
  error("expected DISCARD at end of message, got " .. tostring(mt.getreply(conn)))
end
mt.disconnect(conn)
"""


def test_installed_daemon_runs_the_example_on_a_message(example, daemon, scratch):
    log_path = os.path.join(scratch, "quarantined.log")
    metrics_port = rig.free_port()
    sections = logfile_config(scratch, log_path)
    sections["global"]["metrics_listen"] = f"127.0.0.1:{metrics_port}"
    config = write_config(scratch, "run.conf", sections)
    script = os.path.join(scratch, "one_spam_message.lua")
    with open(script, "w") as f:
        f.write(MILTERTEST_SCRIPT)
    socket_path = os.path.join(scratch, "sock", "qmilter.sock")
    proc = rig.Qmilter(socket_path, [config], os.path.join(scratch, "qmilter.log"),
                       binary=daemon, env=clean_env())
    try:
        proc.start()
        result = rig.run_miltertest(script, proc.socket, defines={"queue_id": QUEUE_ID})
        assert result.returncode == 0, f"{result.stdout}\n--- qmilter log:\n{proc.log.text()}"
        # The host answered only after notify() returned, and notify() syncs: no waiting.
        with open(log_path) as f:
            lines = [line.rstrip("\n").split("\t") for line in f]
        assert [fields[1:] for fields in lines] == [
            [QUEUE_ID, "spam", "", "sender@example.org", "alice@example.com"],
            [QUEUE_ID, "spam", "", "sender@example.org", "bob@example.com"]], lines
        assert all(re.fullmatch(r"\d{10}", fields[0]) for fields in lines)
        assert re.search(rf"{QUEUE_ID}.*logged 2 recipient", proc.log.text()), proc.log.text()
        # The third-party plugin's own counter on the host's endpoint, labelled by the host.
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10) as answer:
            assert 'qmilter_logfile_lines_total{quarantine="spam"} 2\n' in answer.read().decode()
    finally:
        proc.stop()


FOREIGN_PLUGIN = r"""
// A plugin header claiming another ABI, as a plugin built with other SDK headers would.
#include "qmilter/sdk/plugin.hpp"
extern "C" QMILTER_SDK_EXPORT const qmilter_plugin_header* qmilter_plugin_describe() noexcept {
  static const qmilter_plugin_header header{QMILTER_PLUGIN_MAGIC, FOREIGN_MAJOR, FOREIGN_MINOR,
      static_cast<std::uint32_t>(qmilter::sdk::PluginKind::notification), "foreign", "1.0", "other ABI"};
  return &header;
}
extern "C" QMILTER_SDK_EXPORT qmilter::sdk::PluginFactory* qmilter_plugin_factory() noexcept { return nullptr; }
"""


def test_cmake_install_ships_the_examples(prefix):
    installed = os.path.join(prefix, INSTALLED_EXAMPLES)
    tree = os.path.join(SOURCE_DIR, "sdk/examples")
    assert sorted(os.listdir(installed)) == sorted(os.listdir(tree))
    for name in os.listdir(tree):
        with open(os.path.join(installed, name), "rb") as a, open(os.path.join(tree, name), "rb") as b:
            assert a.read() == b.read(), name


@pytest.mark.parametrize("which", ["previous_major", "next_major", "newer_minor"])
def test_plugin_for_another_abi_is_refused(prefix, daemon, abi, scratch, which):
    major, minor = abi
    foreign = {"previous_major": (major - 1, 0), "next_major": (major + 1, 0),
               "newer_minor": (major, minor + 1)}[which]
    source = os.path.join(scratch, "foreign.cpp")
    with open(source, "w") as f:
        f.write(FOREIGN_PLUGIN)
    plugin = os.path.join(scratch, f"foreign_{which}.so")
    checked(["c++", "-std=c++20", "-shared", "-fPIC", "-fvisibility=hidden",
             f"-I{os.path.join(prefix, 'include')}", f"-DFOREIGN_MAJOR={foreign[0]}",
             f"-DFOREIGN_MINOR={foreign[1]}", "-o", plugin, source])
    config = write_config(scratch, f"foreign-{which}.conf",
                          logfile_config(scratch, os.path.join(scratch, "unused.log"), plugin))
    result = qmilter_check(daemon, config)
    assert result.returncode != 0, result.stdout
    expected = (f"{os.path.realpath(plugin)}: plugin built for SDK ABI {foreign[0]}.{foreign[1]}, "
                f"this qmilter has ABI {major}.{minor}: rebuild it against this qmilter's "
                f"qmilter-devel (")
    assert expected in result.stdout, result.stdout
