"""`qmilter -t` refuses a FILE quarantine whose directory cannot take the quarantine: missing,
not a directory, not writable, a bad file mode - each error names the file, the section and
the option.

Not writable as root: root ignores permission bits, so a 0555 directory would pass. The
test makes the directory immutable (chattr +i: even root cannot create files in it) or,
where that is not possible, mounts a read-only tmpfs on it; without either (an
unprivileged container) it uses chmod 0555 when not root, and is skipped otherwise.
"""

import contextlib
import os
import subprocess
import uuid

import pytest

import rig


def write_config(rig_dir, **spam_options):
    section = rig.quarantine_section(quarantine_type="file")
    section.update(spam_options)
    path = os.path.join(rig_dir, f"file-{uuid.uuid4().hex[:8]}.conf")
    return rig.write_config(path, rig.simple_config({"spam": section}))


def check(config):
    return rig.run_qmilter(["-t", "-c", config])


def assert_refused(proc, *fragments):
    assert proc.returncode != 0, proc.stdout
    assert "Configuration ok" not in proc.stdout
    for fragment in ("[spam]", *fragments):
        assert fragment in proc.stderr, proc.stderr


@contextlib.contextmanager
def unwritable(directory):
    """Make `directory` refuse new files, even to root; yield how, or skip."""
    if os.geteuid() != 0:
        os.chmod(directory, 0o555)
        try:
            yield "chmod 0555"
        finally:
            os.chmod(directory, 0o755)
        return
    if subprocess.run(["chattr", "+i", directory], capture_output=True).returncode == 0:
        try:
            yield "chattr +i"
        finally:
            subprocess.run(["chattr", "-i", directory], capture_output=True)
        return
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", directory],
                      capture_output=True).returncode == 0:
        try:
            yield "read-only tmpfs"
        finally:
            subprocess.run(["umount", directory], capture_output=True)
        return
    pytest.skip("running as root without chattr +i or mount: cannot make a directory unwritable")


def test_writable_directory_is_ok(rig_dir):
    directory = os.path.join(rig_dir, "ok")
    os.makedirs(directory)
    proc = check(write_config(rig_dir, quarantine_directory=directory))
    assert proc.returncode == 0, proc.stderr
    assert "Configuration ok" in proc.stdout
    assert os.listdir(directory) == []  # the write probe leaves nothing behind


def test_missing_directory_is_a_config_error(rig_dir):
    directory = os.path.join(rig_dir, "does-not-exist")
    assert_refused(check(write_config(rig_dir, quarantine_directory=directory)),
                   "quarantine_directory", directory, "does not exist")


def test_directory_that_is_a_file_is_a_config_error(rig_dir):
    path = os.path.join(rig_dir, "a-file")
    with open(path, "w") as f:
        f.write("x")
    assert_refused(check(write_config(rig_dir, quarantine_directory=path)),
                   "quarantine_directory", path, "not a directory")


def test_unwritable_directory_is_a_config_error(rig_dir):
    directory = os.path.join(rig_dir, "readonly")
    os.makedirs(directory)
    config = write_config(rig_dir, quarantine_directory=directory)
    with unwritable(directory):
        assert_refused(check(config), "quarantine_directory", directory, "not writable")
    proc = check(config)
    assert proc.returncode == 0, proc.stderr


def test_missing_option_is_a_config_error(rig_dir):
    assert_refused(check(write_config(rig_dir)), "quarantine_directory")


def test_bad_file_mode_is_a_config_error(rig_dir):
    directory = os.path.join(rig_dir, "mode")
    os.makedirs(directory, exist_ok=True)
    assert_refused(check(write_config(rig_dir, quarantine_directory=directory,
                                      quarantine_file_mode="rw-r-----")),
                   "quarantine_file_mode", "rw-r-----")
