"""qmilter's start-up checks: `-t` prints `Configuration ok`; a
bad configuration refuses to start with an error naming file, section and option."""

import os
import resource
import shutil
import subprocess
import time

import pytest

import rig


def plugin_dir():
    return os.environ.get("QMILTER_PLUGIN_DIR") or os.path.join(
        rig.build_dir(), "lib", "qmilter", "plugins")


def write(rig_dir, name, sections):
    return rig.write_config(os.path.join(rig_dir, name), sections)


def bad_configs():
    def with_spam(**changes):
        section = rig.quarantine_section()
        for key, value in changes.items():
            section[key] = value
        return rig.simple_config({"spam": section})

    missing_section = rig.simple_config()
    missing_section["global"]["quarantines"] = ["spam", "virus"]
    bad_preferred = rig.simple_config()
    bad_preferred["global"]["preferred_quarantine_action"] = "middle"
    empty_list = rig.simple_config()
    empty_list["global"]["quarantines"] = ""
    return [
        # id, config, words the error must name
        ("missing-mandatory-option", with_spam(smtp_port=None), ["spam", "smtp_port"]),
        ("bad-regex", with_spam(regex="(unclosed"), ["spam", "regex"]),
        ("unknown-action", with_spam(action="explode"), ["spam", "action", "explode"]),
        ("unknown-quarantine-type", with_spam(quarantine_type="nowhere"),
         ["spam", "quarantine_type", "nowhere"]),
        ("bad-ignore-hosts", with_spam(ignore_hosts="10.0.0.0/33"),
         ["spam", "ignore_hosts"]),
        ("quarantine-without-section", missing_section, ["virus"]),
        ("bad-preferred-action", bad_preferred, ["global", "preferred_quarantine_action"]),
        ("empty-quarantine-list", empty_list, ["global", "quarantines"]),
    ]


BAD = bad_configs()


def test_check_mode_prints_configuration_ok(rig_dir):
    path = write(rig_dir, "good.conf", rig.simple_config())
    result = rig.run_qmilter(["-t", "-c", path])
    assert result.returncode == 0, result.stderr
    assert "Configuration ok" in result.stdout + result.stderr


@pytest.mark.parametrize("name,config,words", BAD, ids=[b[0] for b in BAD])
def test_bad_configuration_refuses_to_start(rig_dir, name, config, words):
    path = write(rig_dir, f"{name}.conf", config)
    socket_path = os.path.join(rig_dir, f"{name}.sock")
    result = rig.run_qmilter(["-s", f"unix:{socket_path}", "-c", path])
    assert result.returncode != 0, f"started with a bad configuration:\n{result.stderr}"
    assert path in result.stderr, result.stderr
    for word in words:
        assert word in result.stderr, f"error does not name {word!r}:\n{result.stderr}"
    assert not os.path.exists(socket_path)


@pytest.mark.parametrize("name,config,words", BAD[:3], ids=[b[0] for b in BAD[:3]])
def test_check_mode_reports_a_bad_configuration(rig_dir, name, config, words):
    path = write(rig_dir, f"t-{name}.conf", config)
    result = rig.run_qmilter(["-t", "-c", path])
    assert result.returncode != 0
    assert "Configuration ok" not in result.stdout + result.stderr
    assert path in result.stderr and all(w in result.stderr for w in words), result.stderr


def test_missing_config_file_is_an_error_naming_it(rig_dir):
    path = os.path.join(rig_dir, "does-not-exist.conf")
    result = rig.run_qmilter(["-t", "-c", path])
    assert result.returncode != 0
    assert path in result.stderr, result.stderr


def test_later_config_file_overrides_earlier(rig_dir):
    # The first file alone is bad (regex does not compile); the second fixes the key.
    first = write(rig_dir, "first.conf", rig.simple_config({"spam": rig.quarantine_section(
        regex="(unclosed")}))
    second = write(rig_dir, "second.conf", {"spam": {"regex": "^X-Spam-Flag: YES"}})
    result = rig.run_qmilter(["-t", "-c", first, "-c", second])
    assert result.returncode == 0, result.stderr
    assert "Configuration ok" in result.stdout + result.stderr


def test_plugin_given_as_a_path_is_loaded(rig_dir):
    plugin = os.path.join(plugin_dir(), "quarantine_none.so")
    path = write(rig_dir, "by-path.conf", rig.simple_config({"spam": rig.quarantine_section(
        quarantine_type=plugin)}))
    result = rig.run_qmilter(["-t", "-c", path])
    assert result.returncode == 0, result.stderr
    assert "Configuration ok" in result.stdout + result.stderr


def test_a_file_that_is_not_a_plugin_is_refused_naming_it(rig_dir):
    not_plugin = os.path.join(rig_dir, "not-a-plugin.so")
    with open(not_plugin, "w") as f:
        f.write("this is not a shared object\n")
    path = write(rig_dir, "not-plugin.conf", rig.simple_config({"spam": rig.quarantine_section(
        action=not_plugin)}))
    result = rig.run_qmilter(["-t", "-c", path])
    assert result.returncode != 0
    assert not_plugin in result.stderr, result.stderr


def fixture_plugin(name):
    return os.path.join(rig.build_dir(), "tests", "fixtures", name)


def test_plugin_dir_in_global_is_searched_before_the_built_in_plugins(rig_dir):
    own = os.path.join(rig_dir, "own-plugins")
    os.makedirs(own, exist_ok=True)
    # A directory of one's own plugins does not hide "none", "discard" and the others.
    path = write(rig_dir, "plugin-dir.conf", rig.simple_config(plugin_dir=own))
    result = rig.run_qmilter(["-t", "-c", path])
    assert result.returncode == 0, result.stderr

    shutil.copy(fixture_plugin("test_plugin_schema_twin.so"), os.path.join(own, "action_twin.so"))
    path = write(rig_dir, "plugin-dir-own.conf", rig.simple_config(
        {"spam": rig.quarantine_section(action="twin")}, plugin_dir=own))
    result = rig.run_qmilter(["-t", "-c", path])
    assert result.returncode == 0, result.stderr


def test_a_plugin_dir_that_is_no_directory_is_an_error(rig_dir):
    # Only the built-in plugins in use: the typo would otherwise pass unnoticed.
    missing = os.path.join(rig_dir, "no-such-plugins")
    path = write(rig_dir, "plugin-dir-typo.conf", rig.simple_config(plugin_dir=missing))
    result = rig.run_qmilter(["-t", "-c", path])
    assert result.returncode != 0
    assert f"[global] plugin_dir: '{missing}' is not a directory" in result.stderr, result.stderr


def test_list_plugins_names_each_refused_file_and_why(rig_dir):
    own = os.path.join(rig_dir, "refused-plugins")
    os.makedirs(own, exist_ok=True)
    with open(os.path.join(own, "junk.so"), "w") as f:
        f.write("this is not a shared object\n")
    shutil.copy(fixture_plugin("test_plugin_schema_throws.so"), os.path.join(own, "throws.so"))
    shutil.copy(fixture_plugin("test_plugin_schema_upper_case_name.so"), os.path.join(own, "upper.so"))
    path = write(rig_dir, "list.conf", rig.simple_config(plugin_dir=own))
    result = rig.run_qmilter(["-l", "-c", path])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "refused plugin files:" in out, out
    assert os.path.join(own, "junk.so") + ": not a loadable shared object" in out, out
    assert "throws.so: option_schema() threw: schema table not ready" in out, out
    assert "upper.so: bad option schema: option 'Fixture_Reason'" in out, out
    # The built-in plugins are listed with their schema: type, range and default.
    assert "whitelist_db_timeout (integer, 1 to 300, default 5)" in out, out
    assert "quarantine_file_mode (octal mode, default 0600)" in out, out

    # A plugin declaring one of the core's options is refused at load, so here too.
    core_only = os.path.join(rig_dir, "core-option-plugins")
    os.makedirs(core_only, exist_ok=True)
    shutil.copy(fixture_plugin("test_plugin_schema_core_option.so"), os.path.join(core_only, "core.so"))
    result = rig.run_qmilter(["-l", "-c", write(rig_dir, "list-core.conf", rig.simple_config(plugin_dir=core_only))])
    assert "core.so: bad option schema: option 'smtp_host' is one of qmilter's own options" in result.stdout, \
        result.stdout


def test_a_refused_file_earlier_in_the_search_path_does_not_shadow_a_good_one(rig_dir):
    # plugin_dir comes before the built-in plugins; in it a "discard" whose schema is refused,
    # then the admin's usable "discard". -l and the loader both pass over the refused one.
    own = os.path.join(rig_dir, "shadow-plugins")
    os.makedirs(own, exist_ok=True)
    shutil.copy(fixture_plugin("test_plugin_refused_discard.so"), os.path.join(own, "a_refused.so"))
    shutil.copy(fixture_plugin("test_plugin_own_discard.so"), os.path.join(own, "b_mine.so"))
    path = write(rig_dir, "shadow.conf", rig.simple_config(
        {"spam": rig.quarantine_section(action="discard")}, plugin_dir=own))
    listed = rig.run_qmilter(["-l", "-c", path])
    assert listed.returncode == 0, listed.stderr
    out = listed.stdout
    assert "a_refused.so: bad option schema: option 'Fixture_Reason'" in out.split("refused plugin files:")[-1], out
    assert "action discard 1.0.0 — Test fixture: an admin's own discard action (b_mine.so)" in out, out
    built_in = os.path.join(os.path.realpath(plugin_dir()), "action_discard.so")
    used = os.path.join(os.path.realpath(own), "b_mine.so")
    assert f"warning: {built_in}: action plugin 'discard' is also declared by {used}, which is used" in out, out
    assert "a_refused.so, which is used" not in out, out

    checked = rig.run_qmilter(["-t", "-c", path])
    assert checked.returncode == 0, checked.stderr
    assert f"is also declared by {used}, which is used" in checked.stderr, checked.stderr


def test_an_option_schema_that_throws_refuses_the_configuration(rig_dir):
    plugin = fixture_plugin("test_plugin_schema_throws.so")
    path = write(rig_dir, "throws.conf", rig.simple_config({"spam": rig.quarantine_section(action=plugin)}))
    result = rig.run_qmilter(["-t", "-c", path])
    assert result.returncode != 0, result.stdout
    assert plugin + ": option_schema() threw: schema table not ready" in result.stderr, result.stderr


def test_socket_from_the_global_section(rig_dir):
    socket_path = os.path.join(rig_dir, "global-socket", "qmilter.sock")
    path = write(rig_dir, "socket.conf", rig.simple_config(socket=f"unix:{socket_path}"))
    proc = rig.MilterProcess([rig.qmilter_binary(), "-c", path], socket_path,
                             os.path.join(rig_dir, "global-socket.log"), "qmilter")
    try:
        proc.start()
        result = rig.run_miltertest("clean_accepted_at_eoh.lua", proc.socket,
                                    defines={"scriptdir": rig.miltertest.SCRIPT_DIR})
        assert result.returncode == 0, result.stdout
    finally:
        proc.kill()


# --- reading the INI text -------------------------------------------------------------------

def write_text(rig_dir, name, text):
    path = os.path.join(rig_dir, name)
    with open(path, "wb") as f:
        f.write(text if isinstance(text, bytes) else text.encode())
    return path


def spam_config_text(spam_lines):
    """[global] and a `spam` quarantine (none plugins) whose section ends in spam_lines."""
    section = rig.quarantine_section()
    del section["regex"]
    return rig.render_config(rig.simple_config({"spam": section})) + "\n".join(spam_lines) + "\n"


def test_the_same_option_in_another_case_is_the_duplicate_key_error(rig_dir):
    # Keys are case-insensitive: `Regex` after `regex` must not silently replace it (here
    # it would have made the quarantine match nothing).
    exact = write_text(rig_dir, "dup-exact.conf", spam_config_text(
        ["regex = ^X-Spam-Flag: YES", "regex = ^X-Never: matches"]))
    cased = write_text(rig_dir, "dup-cased.conf", spam_config_text(
        ["regex = ^X-Spam-Flag: YES", "Regex = ^X-Never: matches"]))
    exact_result = rig.run_qmilter(["-t", "-c", exact])
    cased_result = rig.run_qmilter(["-t", "-c", cased])
    assert exact_result.returncode != 0, exact_result.stdout
    assert cased_result.returncode != 0, f"accepted `Regex` after `regex`:\n{cased_result.stdout}"
    assert "Configuration ok" not in cased_result.stdout + cased_result.stderr
    assert f"{cased}:" in cased_result.stderr and "[spam] regex: option set twice in one file" \
        in cased_result.stderr, cased_result.stderr
    assert cased_result.stderr.replace(cased, "F") == exact_result.stderr.replace(exact, "F")


def test_a_utf8_byte_order_mark_is_accepted_like_configparser_utf8_sig(rig_dir):
    path = write_text(rig_dir, "bom.conf", b"\xef\xbb\xbf" + rig.render_config(
        rig.simple_config()).encode())
    result = rig.run_qmilter(["-t", "-c", path])
    assert result.returncode == 0, result.stderr
    assert "Configuration ok" in result.stdout + result.stderr


def test_a_nul_byte_is_refused_naming_file_and_line(rig_dir):
    # The value is one an error message would quote: the NUL must not cut that message.
    path = write_text(rig_dir, "nul.conf", spam_config_text(["regex = ab\0cd%(x"]).encode())
    result = rig.run_qmilter(["-t", "-c", path])
    assert result.returncode != 0
    line = spam_config_text(["regex = ab\0cd%(x"]).split("\n").index("regex = ab\0cd%(x") + 1
    assert f"{path}:{line}: contains a NUL byte" in result.stderr, result.stderr


def bomb(kind):
    """spam's regex as the top of an interpolation bomb: 'wide' doubles the text at every
    level (10^11 characters), 'empty' references an empty option 30^8 times."""
    lines = []
    if kind == "wide":
        lines.append("b0 = " + "x" * 10)
        fan_out = 10
    else:
        lines.append("b0 =")
        fan_out = 30
    for level in range(1, 10):
        lines.append(f"b{level} = " + f"%(b{level - 1})s" * fan_out)
    lines.append("regex = %(b9)s^X-Spam-Flag: YES")
    return spam_config_text(lines)


def limited_memory():
    # Refused as the fix must refuse it, a bomb needs little memory; unfixed, it would take
    # all of the machine's: 1 GiB is the most the test lets it have.
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


@pytest.mark.parametrize("kind", ["wide", "empty"])
def test_an_interpolation_bomb_is_refused_quickly_naming_the_option(rig_dir, kind):
    path = write_text(rig_dir, f"bomb-{kind}.conf", bomb(kind))
    started = time.monotonic()
    try:
        result = subprocess.run([rig.qmilter_binary(), "-t", "-c", path], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, errors="replace", timeout=20,
                                preexec_fn=limited_memory)
    except subprocess.TimeoutExpired:
        pytest.fail("qmilter -t still expanding the interpolation after 20 s")
    took = time.monotonic() - started
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert f"{path}:" in result.stderr and "[spam] regex: %(...)s interpolation expands to more than" \
        in result.stderr, result.stderr
    assert took < 10, f"refusing the bomb took {took:.1f} s"
