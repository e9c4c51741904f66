#!/bin/sh
# Builds qmilter with warnings as errors and runs every test: unit, integration (real
# Postfix, miltertest, SQLite/PostgreSQL/MariaDB, smtp-sink, chromium), packaging. Installs
# the Debian packages it needs first (as root), and puppeteer-core with npm. Usage: tests/run-all.sh [BUILD_DIR]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build-test}
packaging/debian-deps.sh test
# The browser tests drive Debian's chromium with puppeteer-core from npm (no browser download).
if ! command -v npm >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm
fi
(cd tests/browser && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
cmake -S . -B "$build" -DQMILTER_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 900
