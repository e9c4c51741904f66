#!/bin/sh
# Builds qmilter with warnings as errors and runs every test: unit, integration (real
# Postfix, miltertest, SQLite/PostgreSQL/MariaDB, smtp-sink), packaging. Installs the
# Debian packages it needs first (as root). Usage: tests/run-all.sh [BUILD_DIR]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build-test}
packaging/debian-deps.sh test
cmake -S . -B "$build" -DQMILTER_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 900
