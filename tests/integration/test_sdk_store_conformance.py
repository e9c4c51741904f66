"""A third-party store runs the SDK's store conformance suite, built against the installed
SDK only: the project is installed with `cmake --install` into a scratch prefix, and a
small out-of-tree project (an in-memory store, the suite instantiated for it, GoogleTest
from the system) is configured with CMAKE_PREFIX_PATH=<prefix>, built and run.
"""

import os
import shutil
import subprocess
import tempfile

import pytest

import rig

SOURCE_DIR = rig.source_dir()
BUILD_DIR = rig.build_dir()

PROJECT = """cmake_minimum_required(VERSION 3.20)
project(third_party_store CXX)
find_package(qmilter-sdk REQUIRED)
find_package(GTest REQUIRED)
add_executable(store_conformance store_conformance.cpp)
target_link_libraries(store_conformance PRIVATE qmilter::sdk GTest::gtest GTest::gtest_main)
"""

INSTANTIATION = """#include "qmilter/sdk/testing/store_conformance.hpp"

#include "memory_store.hpp"

namespace qmilter::sdk::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(ThirdParty, QuarantineStoreConformance, MemoryStoreFactory<Defect::none>);
INSTANTIATE_TYPED_TEST_SUITE_P(Broken, QuarantineStoreConformance, MemoryStoreFactory<Defect::keeps_empty_entries>);
}  // namespace qmilter::sdk::testing
"""


def run(argv, **kwargs):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CMAKE_", "PKG_CONFIG", "CPATH", "CPLUS_INCLUDE"))}
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          errors="replace", timeout=600, env=env, **kwargs)


def checked(argv):
    result = run(argv)
    assert result.returncode == 0, f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout}"
    return result.stdout


@pytest.fixture(scope="module")
def conformance_binary():
    scratch = tempfile.mkdtemp(prefix="qmilter-store-conformance.", dir="/tmp")
    try:
        prefix = os.path.join(scratch, "prefix")
        checked(["cmake", "--install", BUILD_DIR, "--prefix", prefix, "--component", "sdk"])
        source = os.path.join(scratch, "source")
        os.makedirs(source)
        with open(os.path.join(source, "CMakeLists.txt"), "w") as f:
            f.write(PROJECT)
        with open(os.path.join(source, "store_conformance.cpp"), "w") as f:
            f.write(INSTANTIATION)
        shutil.copy(os.path.join(SOURCE_DIR, "tests/unit/sdk/memory_store.hpp"), source)
        build = os.path.join(scratch, "build")
        checked(["cmake", "-S", source, "-B", build, f"-DCMAKE_PREFIX_PATH={prefix}",
                 "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF", "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"])
        checked(["cmake", "--build", build])
        with open(os.path.join(build, "compile_commands.json")) as f:
            commands = f.read()
        assert os.path.join(prefix, "include") in commands
        assert os.path.join(SOURCE_DIR, "sdk") not in commands, commands
        yield os.path.join(build, "store_conformance")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def suite_size():
    """How many tests the suite has: each is one TYPED_TEST_P in its header."""
    with open(os.path.join(SOURCE_DIR, "sdk", "include", "qmilter", "sdk", "testing",
                           "store_conformance.hpp")) as f:
        return f.read().count("TYPED_TEST_P(QuarantineStoreConformance,")


def test_a_store_that_keeps_the_contract_passes_the_installed_suite(conformance_binary):
    result = run([conformance_binary, "--gtest_filter=ThirdParty/*"])
    assert result.returncode == 0, result.stdout
    # Its factory has no make_another(): only the test that claims through two stores skips.
    assert f"[  PASSED  ] {suite_size() - 1} tests." in result.stdout, result.stdout
    skipped = {line.split()[3] for line in result.stdout.splitlines() if line.startswith("[  SKIPPED ] ThirdParty/")}
    assert skipped == {"ThirdParty/QuarantineStoreConformance/0.ClaimsExcludeAnotherStoreOnTheSameStorage"}, result.stdout


def test_the_installed_suite_names_the_rule_a_broken_store_breaks(conformance_binary):
    result = run([conformance_binary, "--gtest_filter=Broken/*"])
    assert result.returncode != 0, result.stdout
    failed = [line for line in result.stdout.splitlines() if line.startswith("[  FAILED  ] Broken/")]
    # The store keeps entries with no recipients: the tests that empty an entry name it.
    empties = ("RemovingTheLastRecipientRemovesTheEntry", "ReadersSeeWholeEntriesWhileRecipientsAreRemoved",
               "FinishingTheLastRecipientRemovesTheEntry")
    assert failed and all(any(name in line for name in empties) for line in failed), result.stdout
