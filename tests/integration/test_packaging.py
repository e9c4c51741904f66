"""The RPM packages and the systemd unit, as an admin on an RPM system gets them.

packaging/build-rpm.sh builds the source tarball and the qmilter, qmilter-devel and source
RPMs once per run. It compiles the whole project, the slow part of this file: with
QMILTER_RPM_FAST=1 (no optimisation, no debug info; set it to 0 to build the release
flavour) that is about 70 s of CPU, about a minute on 2 idle cores. The tests then read the packages with
rpm -qlp / -qp --requires, unpack the payload into a scratch root (rpm2cpio | cpio), create
the qmilter user and the directories there with systemd-sysusers / systemd-tmpfiles
--root, check the packaged configuration with that root's own `qmilter -t`, run that
daemon on the packaged configuration and drive a message through it with miltertest (the
`file` quarantine stores it under the root's /var/lib/qmilter), and verify the unit with
systemd-analyze. The unit's keys are checked from the source file without building.

Set QMILTER_RPM_DIR to a directory holding already built RPMs to skip the build (handy
when working on these tests); QMILTER_KEEP_RIG=1 keeps the scratch directories.
"""

import glob
import os
import re
import shutil
import subprocess
import tempfile
from typing import Dict, List, Tuple

import pytest

import rig

SOURCE_DIR = os.environ.get("QMILTER_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
PACKAGING = os.path.join(SOURCE_DIR, "packaging")
UNIT_FILE = os.path.join(PACKAGING, "qmilter.service")
WEB_UNIT_FILE = os.path.join(PACKAGING, "qmilter-web.service")
DIGEST_UNIT_FILE = os.path.join(PACKAGING, "qmilter-digest.service")
DIGEST_TIMER_FILE = os.path.join(PACKAGING, "qmilter-digest.timer")

PLUGIN_DIR = "/usr/lib64/qmilter/plugins"
# Directories the package installs into; anything outside them is a packaging mistake.
PACKAGE_AREAS = ("/usr/sbin/qmilter", "/usr/sbin/qmilter-web", "/usr/bin/qmilterctl", "/usr/lib64/qmilter",
                 "/etc/qmilter", "/usr/share/qmilter", "/usr/lib/systemd/system/qmilter.service",
                 "/usr/lib/systemd/system/qmilter-web.service", "/usr/lib/systemd/system/qmilter-digest.service",
                 "/usr/lib/systemd/system/qmilter-digest.timer",
                 "/usr/lib/sysusers.d/qmilter.conf", "/usr/lib/tmpfiles.d/qmilter.conf",
                 "/run/qmilter", "/var/lib/qmilter", "/usr/share/man/", "/usr/share/doc/qmilter",
                 "/usr/lib/.build-id")
# Paths in the packaged configuration that belong to the package: rebased into the scratch
# root when its qmilter checks the configuration there.
REBASED_PREFIXES = ("/etc/qmilter", "/usr/share/qmilter", "/var/lib/qmilter", "/run/qmilter",
                    "/usr/lib64/qmilter")


def run(argv: List[str], timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          errors="replace", timeout=timeout, **kwargs)


def checked(argv: List[str], **kwargs) -> str:
    result = run(argv, **kwargs)
    assert result.returncode == 0, f"{' '.join(argv)} exited {result.returncode}:\n{result.stderr}"
    return result.stdout


def project_version() -> str:
    with open(os.path.join(SOURCE_DIR, "CMakeLists.txt")) as f:
        match = re.search(r"^project\(qmilter VERSION ([0-9.]+)", f.read(), re.M)
    assert match, "no project(qmilter VERSION ...) in CMakeLists.txt"
    return match.group(1)


def sdk_abi() -> Tuple[int, int]:
    with open(os.path.join(SOURCE_DIR, "sdk/include/qmilter/sdk/abi.hpp")) as f:
        text = f.read()
    major = re.search(r"^#define QMILTER_SDK_ABI_MAJOR (\d+)", text, re.M)
    minor = re.search(r"^#define QMILTER_SDK_ABI_MINOR (\d+)", text, re.M)
    return int(major.group(1)), int(minor.group(1))


def registered_plugins() -> List[str]:
    """The plugins the tree builds: plugins/CMakeLists.txt's add_subdirectory(<kind>_<name>)
    (other folders there, such as odbc, are libraries the plugins share)."""
    with open(os.path.join(SOURCE_DIR, "plugins/CMakeLists.txt")) as f:
        return re.findall(r"^add_subdirectory\(((?:quarantine|notification|whitelist|action)_\w+)\)", f.read(), re.M)


# --- the unit file (no build needed) ----------------------------------------------------

def parse_unit(path: str) -> Dict[str, List[Tuple[str, str]]]:
    """systemd's INI dialect: sections of (key, value) in order; keys may repeat."""
    sections: Dict[str, List[Tuple[str, str]]] = {}
    current = None
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                current = sections.setdefault(line.strip("[]"), [])
                continue
            assert current is not None, f"{path}: key outside a section: {line}"
            key, _, value = line.partition("=")
            current.append((key.strip(), value.strip()))
    return sections


def values(section: List[Tuple[str, str]], key: str) -> List[str]:
    return [v for k, v in section if k == key]


def single(section: List[Tuple[str, str]], key: str) -> str:
    found = values(section, key)
    assert len(found) == 1, f"{key}= set {len(found)} times: {found}"
    return found[0]


def test_unit_runs_the_daemon_as_qmilter_with_check_reload_and_runtime_dir():
    service = parse_unit(UNIT_FILE)["Service"]
    assert single(service, "Type") == "simple"
    assert single(service, "User") == "qmilter"
    assert re.fullmatch(r"/usr/sbin/qmilter -t( -c /etc/qmilter/qmilter\.conf)?",
                        single(service, "ExecStartPre"))
    # The socket is set in the configuration only (see test_packaged_config_...).
    assert single(service, "ExecStart") == "/usr/sbin/qmilter -c /etc/qmilter/qmilter.conf"
    assert single(service, "RuntimeDirectory") == "qmilter"
    assert re.fullmatch(r"(/usr)?/bin/kill -HUP \$MAINPID", single(service, "ExecReload"))
    assert parse_unit(UNIT_FILE)["Install"] == [("WantedBy", "multi-user.target")]


def test_web_unit_runs_qmilter_web_as_qmilter_after_a_check():
    service = parse_unit(WEB_UNIT_FILE)["Service"]
    assert single(service, "User") == "qmilter" and single(service, "Group") == "qmilter"
    assert single(service, "ExecStartPre") == "/usr/sbin/qmilter-web -t -c /etc/qmilter/qmilter.conf"
    assert single(service, "ExecStart") == "/usr/sbin/qmilter-web -c /etc/qmilter/qmilter.conf"
    assert re.fullmatch(r"(/usr)?/bin/kill -HUP \$MAINPID", single(service, "ExecReload"))
    assert parse_unit(WEB_UNIT_FILE)["Install"] == [("WantedBy", "multi-user.target")]


def test_digest_timer_runs_qmilterctl_digest_daily_as_qmilter():
    service = parse_unit(DIGEST_UNIT_FILE)["Service"]
    assert single(service, "Type") == "oneshot"
    assert single(service, "User") == "qmilter" and single(service, "Group") == "qmilter"
    assert single(service, "ExecStart") == "/usr/bin/qmilterctl -c /etc/qmilter/qmilter.conf digest"
    timer = parse_unit(DIGEST_TIMER_FILE)
    assert single(timer["Timer"], "OnCalendar") == "daily"
    assert single(timer["Timer"], "Persistent") == "true"
    assert timer["Install"] == [("WantedBy", "timers.target")]


@pytest.mark.parametrize("unit_file", [UNIT_FILE, WEB_UNIT_FILE, DIGEST_UNIT_FILE], ids=os.path.basename)
def test_unit_is_hardened(unit_file):
    service = parse_unit(unit_file)["Service"]
    for key in ("NoNewPrivileges", "PrivateTmp", "ProtectHome", "PrivateDevices",
                "ProtectKernelTunables", "ProtectKernelModules", "ProtectControlGroups",
                "RestrictSUIDSGID", "LockPersonality"):
        assert single(service, key) == "yes", key
    assert single(service, "ProtectSystem") == "strict"
    # Writable: the state directory only (the socket's RuntimeDirectory is writable anyway).
    assert single(service, "ReadWritePaths").split() == ["/var/lib/qmilter"]
    assert sorted(single(service, "RestrictAddressFamilies").split()) == \
        ["AF_INET", "AF_INET6", "AF_UNIX"]
    assert "@system-service" in values(service, "SystemCallFilter")
    assert single(service, "CapabilityBoundingSet") == ""


# --- the RPMs ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scratch():
    path = tempfile.mkdtemp(prefix="qmilter-rpm-test.", dir="/tmp")
    yield path
    if os.environ.get("QMILTER_KEEP_RIG") != "1":
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def rpms(scratch) -> Dict[str, str]:
    """{'main': ..., 'devel': ..., 'source': ..., 'tarball': ...} paths, built once."""
    outdir = os.environ.get("QMILTER_RPM_DIR")
    if not outdir:
        outdir = os.path.join(scratch, "out")
        log_path = os.path.join(scratch, "build-rpm.log")
        with open(log_path, "w") as log:
            result = subprocess.run([os.path.join(PACKAGING, "build-rpm.sh"), outdir],
                                    stdout=log, stderr=subprocess.STDOUT, timeout=840,
                                    env={"QMILTER_RPM_FAST": "1", **os.environ,
                                         "TMPDIR": scratch})
        if result.returncode != 0:
            with open(log_path, errors="replace") as log:
                pytest.fail(f"build-rpm.sh exited {result.returncode}:\n{log.read()[-20000:]}")
    version = project_version()
    found = {
        "main": glob.glob(os.path.join(outdir, f"qmilter-{version}-1.*.rpm")),
        "devel": glob.glob(os.path.join(outdir, f"qmilter-devel-{version}-1.*.rpm")),
        "source": glob.glob(os.path.join(outdir, f"qmilter-{version}-1.src.rpm")),
        "tarball": glob.glob(os.path.join(outdir, f"qmilter-{version}.tar.gz")),
    }
    found["main"] = [p for p in found["main"] if not p.endswith(".src.rpm")]
    for kind, paths in found.items():
        assert len(paths) == 1, f"{kind}: expected one file in {outdir}, found {paths}: " \
                                f"{sorted(os.listdir(outdir))}"
    return {kind: paths[0] for kind, paths in found.items()}


def file_list(rpm: str) -> Dict[str, Tuple[str, str, str, str]]:
    """path -> (mode, user, group, flags) for every file the package holds."""
    fmt = "[%{FILENAMES}\t%{FILEMODES:perms}\t%{FILEUSERNAME}\t%{FILEGROUPNAME}\t%{FILEFLAGS:fflags}\n]"
    out = checked(["rpm", "-qp", "--qf", fmt, rpm])
    listing = {}
    for line in out.splitlines():
        path, mode, user, group, flags = line.split("\t")
        listing[path] = (mode, user, group, flags)
    # The plain listing admins look at must agree.
    assert sorted(checked(["rpm", "-qlp", rpm]).split()) == sorted(listing)
    return listing


def test_source_tarball_and_source_rpm_hold_the_tree(rpms):
    version = project_version()
    names = set(checked(["tar", "-tzf", rpms["tarball"]]).split())
    for path in ("CMakeLists.txt", "packaging/qmilter.spec.in", "packaging/build-rpm.sh",
                 "sdk/include/qmilter/sdk/abi.hpp", "sdk/examples/CMakeLists.txt"):
        assert f"qmilter-{version}/{path}" in names
    assert not [n for n in names if re.match(rf"qmilter-{version}/(build|out)[^/]*/.", n)], \
        "build directories leaked into the tarball"
    assert set(checked(["rpm", "-qlp", rpms["source"]]).split()) == \
        {"qmilter.spec", f"qmilter-{version}.tar.gz"}


def test_main_package_layout(rpms):
    files = file_list(rpms["main"])
    for path in ("/usr/sbin/qmilter", "/usr/sbin/qmilter-web", "/usr/bin/qmilterctl", PLUGIN_DIR,
                 "/usr/lib/systemd/system/qmilter.service", "/usr/lib/systemd/system/qmilter-web.service",
                 "/usr/lib/systemd/system/qmilter-digest.service", "/usr/lib/systemd/system/qmilter-digest.timer",
                 "/usr/share/qmilter/templates/digest.template", "/usr/lib/sysusers.d/qmilter.conf",
                 "/usr/lib/tmpfiles.d/qmilter.conf", "/usr/share/qmilter/templates",
                 "/run/qmilter", "/var/lib/qmilter"):
        assert path in files, f"{path} missing from {sorted(files)}"
    for plugin in registered_plugins():
        assert f"{PLUGIN_DIR}/{plugin}.so" in files, f"plugin {plugin} not packaged"
    for path, (mode, user, _, _) in files.items():
        if path.startswith(PLUGIN_DIR + "/"):
            # 0755 like every shared object on RPM systems (stripped, build-id links).
            assert (mode, user) == ("-rwxr-xr-x", "root"), (path, mode, user)
    for page in ("man8/qmilter.8", "man8/qmilterctl.8", "man8/qmilter-web.8", "man5/qmilter.conf.5"):
        assert [p for p in files if p.startswith(f"/usr/share/man/{page}")], f"{page} missing"
    strays = [p for p in files if not p.startswith(PACKAGE_AREAS)]
    assert not strays, f"files outside qmilter's directories: {strays}"
    assert not [p for p in files if p.startswith("/usr/include")], "headers belong to -devel"


def test_config_is_noreplace_and_state_belongs_to_qmilter(rpms):
    files = file_list(rpms["main"])
    mode, user, group, flags = files["/etc/qmilter/qmilter.conf"]
    assert "c" in flags and "n" in flags, f"qmilter.conf flags {flags!r}: want %config(noreplace)"
    assert mode[7:] == "---", f"qmilter.conf is world-readable ({mode}): it may hold DB passwords"
    assert group == "qmilter"
    for path in ("/run/qmilter", "/var/lib/qmilter"):
        mode, user, group, _ = files[path]
        assert (mode[0], user, group) == ("d", "qmilter", "qmilter"), (path, files[path])
        assert mode[7:] == "---", (path, mode)
    mode, user, _, _ = files["/usr/sbin/qmilter"]
    assert (mode, user) == ("-rwxr-xr-x", "root")


def test_devel_package_layout(rpms):
    files = file_list(rpms["devel"])
    for path in ("/usr/include/qmilter/sdk/sdk.hpp", "/usr/include/qmilter/sdk/abi.hpp",
                 "/usr/include/qmilter/sdk/testing/fake_message.hpp",
                 "/usr/share/cmake/qmilter-sdk/qmilter-sdk-config.cmake",
                 "/usr/share/cmake/qmilter-sdk/qmilter-sdk-config-version.cmake",
                 "/usr/share/cmake/qmilter-sdk/qmilter-sdk-targets.cmake",
                 "/usr/share/pkgconfig/qmilter-sdk.pc"):
        assert path in files, f"{path} missing from qmilter-devel"
    assert [p for p in files if p.endswith("/examples/logfile_notifier.cpp")]
    assert not [p for p in files if p.endswith(".so")], "qmilter-devel ships no binaries"


def test_requires_are_the_libraries_the_binaries_link(rpms):
    version = project_version()
    requires = checked(["rpm", "-qp", "--requires", rpms["main"]]).splitlines()
    sonames = {r.split("(")[0] for r in requires if ".so" in r}
    for lib in ("libmilter.so", "libpcre2-8.so", "libc.so.6", "libstdc++.so.6"):
        assert [s for s in sonames if s.startswith(lib)], f"no {lib}* in {sorted(sonames)}"
    assert "shadow-utils" in requires  # %pre creates the user
    # Nothing of the build machine: no build paths, no Debian package names.
    assert not [r for r in requires if "/tmp/" in r or "BUILDROOT" in r or "-dev" in r], requires
    assert not [r for r in requires if r.startswith("libqmilter")], "core must be linked in"

    devel_requires = checked(["rpm", "-qp", "--requires", rpms["devel"]]).splitlines()
    assert [r for r in devel_requires if re.fullmatch(rf"qmilter(\(\S+\))? = {version}-1", r)], \
        devel_requires
    provides = checked(["rpm", "-qp", "--provides", rpms["devel"]]).splitlines()
    major, minor = sdk_abi()
    assert f"pkgconfig(qmilter-sdk) = {major}.{minor}" in provides, provides


@pytest.fixture(scope="module")
def root(rpms, scratch) -> str:
    """The main package's payload in a scratch root, with its user and directories made by
    systemd-sysusers / systemd-tmpfiles from the packaged files."""
    path = os.path.join(scratch, "root")
    os.makedirs(os.path.join(path, "etc"))
    unpack(rpms["main"], path)
    return path


def unpack(rpm: str, root: str) -> None:
    rpm2cpio = subprocess.Popen(["rpm2cpio", rpm], stdout=subprocess.PIPE)
    cpio = run(["cpio", "-idmu", "--quiet", "--no-absolute-filenames"], cwd=root,
               stdin=rpm2cpio.stdout)
    rpm2cpio.stdout.close()
    assert rpm2cpio.wait() == 0 and cpio.returncode == 0, cpio.stderr


def rebased_config(root: str) -> str:
    """The packaged qmilter.conf with its absolute package paths moved into `root`."""
    with open(os.path.join(root, "etc/qmilter/qmilter.conf")) as f:
        text = f.read()
    pattern = re.compile(r"(?<![\w/])(" + "|".join(map(re.escape, REBASED_PREFIXES)) + r")(?=[/\s,]|$)",
                         re.M)
    rebased = pattern.sub(lambda m: root + m.group(1), text)
    path = os.path.join(root, "etc/qmilter/qmilter-rebased.conf")
    with open(path, "w") as f:
        f.write(rebased)
    return path


def test_sysusers_and_tmpfiles_create_user_and_directories(root):
    if shutil.which("systemd-sysusers") is None:
        pytest.skip("systemd-sysusers not installed")
    checked(["systemd-sysusers", f"--root={root}"])
    with open(os.path.join(root, "etc/passwd")) as f:
        entry = [line.split(":") for line in f if line.startswith("qmilter:")]
    assert entry and entry[0][5] == "/var/lib/qmilter", entry
    assert entry[0][6].strip().endswith("nologin")
    checked(["systemd-tmpfiles", f"--root={root}", "--create"])
    uid = int(entry[0][2])
    for d in ("run/qmilter", "var/lib/qmilter", "var/lib/qmilter/quarantine"):
        st = os.stat(os.path.join(root, d))
        assert st.st_uid == uid and st.st_mode & 0o7777 == 0o750, (d, st)


def test_packaged_daemon_checks_packaged_config(root):
    config = rebased_config(root)
    with open(config) as f:
        assert "plugin_dir" not in f.read(), \
            "the packaged config must rely on the daemon's own plugin lookup"
    result = run([os.path.join(root, "usr/sbin/qmilter"), "-t", "-c", config], timeout=60)
    assert result.returncode == 0, f"qmilter -t failed:\n{result.stdout}\n{result.stderr}"
    assert "Configuration ok" in result.stdout + result.stderr


WRITTEN_OPTIONS = ("state_dir", "spool_dir", "quarantine_directory", "notification_spool_dir",
                   "socket", "whitelist_db_connection", "quarantine_db_connection")


def test_packaged_config_writes_only_where_the_unit_allows(root):
    """ProtectSystem=strict: every path the packaged config makes the daemon write must be
    under ReadWritePaths or the RuntimeDirectory, or the hardened service fails at run time."""
    service = parse_unit(UNIT_FILE)["Service"]
    writable = tuple(single(service, "ReadWritePaths").split()) + ("/run/qmilter/",)
    with open(os.path.join(root, "etc/qmilter/qmilter.conf")) as f:
        text = f.read()
    assert re.search(r"^socket = unix:/run/qmilter/qmilter\.sock$", text, re.M), \
        "the packaged config must put the socket into the unit's RuntimeDirectory"
    for line in text.splitlines():
        key, sep, value = (part.strip() for part in line.partition("="))
        if not sep or key.lower() not in WRITTEN_OPTIONS or not value:
            continue
        if value.startswith(("inet:", "inet6:", "mysql:", "postgresql:", "DSN=", "Driver=")):
            continue  # not a file
        path = re.sub(r"^(unix:|local:|sqlite:///)", "", value)
        assert path.startswith("/"), f"{key} = {value}: relative to /etc/qmilter, read-only"
        assert path.startswith(writable), f"{key} = {value}: not in {writable}"


def test_unit_verifies_against_the_payload(root):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed")
    # systemd-analyze --root needs the units qmilter.service pulls in (sysinit.target, ...)
    # and the commands it runs: take the host's, keep the package's own unit.
    unit_dir = os.path.join(root, "usr/lib/systemd/system")
    for name in os.listdir("/usr/lib/systemd/system"):
        target = os.path.join(unit_dir, name)
        if not os.path.lexists(target):
            src = os.path.join("/usr/lib/systemd/system", name)
            if os.path.isdir(src) and not os.path.islink(src):
                shutil.copytree(src, target, symlinks=True)
            else:
                shutil.copy2(src, target, follow_symlinks=False)
    os.makedirs(os.path.join(root, "bin"), exist_ok=True)
    shutil.copy2(shutil.which("kill") or "/bin/kill", os.path.join(root, "bin/kill"))
    for unit in ("qmilter.service", "qmilter-web.service", "qmilter-digest.service", "qmilter-digest.timer"):
        result = run(["systemd-analyze", "verify", "--man=no", f"--root={root}", unit])
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        # Unknown keys and bad values are only warnings ("..., ignoring"): refuse them too.
        assert "ignoring" not in output and "Unknown" not in output, output


SPAM_MESSAGE_SCRIPT = """
-- One message the packaged config's `spam` quarantine takes (file store, action discard).
local conn = mt.connect(socket, 40, 0.25)
if conn == nil then error("cannot connect to " .. socket) end
if mt.conninfo(conn, "client.example.org", "192.0.2.10") ~= nil then error("conninfo") end
if mt.macro(conn, SMFIC_MAIL, "i", queue_id) ~= nil then error("macro") end
if mt.mailfrom(conn, "<sender@example.org>") ~= nil then error("mailfrom") end
if mt.rcptto(conn, "<rcpt@example.com>") ~= nil then error("rcptto") end
if mt.header(conn, "From", "sender@example.org") ~= nil then error("header") end
if mt.header(conn, "X-Spam-Flag", "YES") ~= nil then error("header") end
if mt.eoh(conn) ~= nil then error("eoh") end
if mt.bodystring(conn, "packaged\\r\\n") ~= nil then error("body") end
if mt.eom(conn) ~= nil then error("eom") end
if mt.getreply(conn) ~= SMFIR_DISCARD then error("expected DISCARD, got " .. tostring(mt.getreply(conn))) end
mt.disconnect(conn)
"""


def test_packaged_daemon_quarantines_a_message_with_the_packaged_config(root, scratch):
    config = rebased_config(root)
    script = os.path.join(scratch, "packaged_spam.lua")
    with open(script, "w") as f:
        f.write(SPAM_MESSAGE_SCRIPT)
    quarantine = os.path.join(root, "var/lib/qmilter/quarantine")
    before = set(os.listdir(quarantine))
    proc = rig.Qmilter(os.path.join(root, "run/qmilter/qmilter.sock"), [config],
                       os.path.join(scratch, "packaged-qmilter.log"),
                       binary=os.path.join(root, "usr/sbin/qmilter"))
    try:
        proc.start()
        result = rig.run_miltertest(script, proc.socket, defines={"queue_id": "4XqmRpm1"})
        assert result.returncode == 0, f"{result.stdout}\n--- qmilter log:\n{proc.log.text()}"
    finally:
        proc.stop()
    stored = sorted(set(os.listdir(quarantine)) - before)
    assert len(stored) == 2 and stored[0].endswith("_4XqmRpm1") and \
        stored[1] == stored[0] + ".metadata", stored


def test_devel_package_builds_the_example_for_the_packaged_daemon(rpms, root, scratch):
    """qmilter-devel's CMake package, unpacked beside the daemon, builds the example it
    ships; the plugin lands in the packaged plugin directory and that daemon loads it."""
    unpack(rpms["devel"], root)
    source = os.path.join(scratch, "devel-example")
    shutil.copytree(os.path.join(root, "usr/share/doc/qmilter-devel/examples"), source)
    build = os.path.join(scratch, "devel-example-build")
    usr = os.path.join(root, "usr")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CMAKE_", "PKG_CONFIG"))}
    checked(["cmake", "-S", source, "-B", build, f"-DCMAKE_PREFIX_PATH={usr}",
             f"-DCMAKE_INSTALL_PREFIX={usr}", "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF",
             "-DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF"], env=env)
    plugin = os.path.join(root, PLUGIN_DIR.lstrip("/"), "notification_logfile.so")
    try:
        checked(["cmake", "--build", build, "-j2"], env=env)
        checked(["cmake", "--install", build], env=env)
        assert os.path.exists(plugin)
        config = rig.write_config(os.path.join(scratch, "devel-example.conf"), rig.simple_config(
            {"spam": rig.quarantine_section(
                notification_type="logfile",
                notification_logfile_path=os.path.join(root, "var/lib/qmilter/spam.log"))},
            state_dir=os.path.join(root, "var/lib/qmilter")))
        result = run([os.path.join(root, "usr/sbin/qmilter"), "-t", "-c", config], timeout=60)
        assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
        assert "Configuration ok" in result.stdout
    finally:
        if os.path.exists(plugin):
            os.unlink(plugin)  # the payload's plugin directory as the package left it
