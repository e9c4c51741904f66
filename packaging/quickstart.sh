#!/bin/sh
# Quick start: builds qmilter, checks and runs it on config/qmilter.conf (FILE quarantine
# under config/quarantine, SQLite whitelist config/whitelist.db), sends it a clean message,
# a spam-flagged one and a virus-flagged one over the milter protocol, shows what was
# quarantined, and keeps qmilter running until Ctrl-C. Installs build packages as root.
set -eu
cd "$(dirname "$0")/.."
packaging/debian-deps.sh build
cmake -S . -B build -DQMILTER_BUILD_TESTS=ON >/dev/null
cmake --build build -j"$(nproc)"

conf=config/qmilter.conf
socket="$PWD/config/qmilter.sock"
loadgen=build/tests/bench/milter_loadgen
mkdir -p config/quarantine/virus config/quarantine/spam
build/bin/qmilter -t -c "$conf"
build/bin/qmilter -c "$conf" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT INT TERM
i=0
while [ ! -S "$socket" ]; do
  i=$((i + 1)); [ $i -gt 100 ] && { echo "qmilter did not open $socket" >&2; exit 1; }
  kill -0 $pid 2>/dev/null || { echo "qmilter exited" >&2; exit 1; }
  sleep 0.1
done

echo "--- a clean message: accepted at end of headers"
"$loadgen" -s "unix:$socket" -n 1 -r alice@example.com --expect accept=1
echo "--- a message flagged by the spam scanner, for two recipients: stored, then discarded"
"$loadgen" -s "unix:$socket" -n 1 -H "X-Spam-Flag: YES" -r alice@example.com -r bob@example.com --expect discard=1
echo "--- a message flagged by the virus scanner: stored, then rejected"
"$loadgen" -s "unix:$socket" -n 1 -H "X-Virus: EICAR-Test-File" -r carol@example.com --expect reject=1
echo "--- what the quarantines hold (qmilterctl)"
build/bin/qmilterctl -c "$conf" list
build/bin/qmilterctl -c "$conf" quarantine spam list
build/bin/qmilterctl -c "$conf" quarantine virus list
echo
echo "qmilter is running on unix:$socket (pid $pid). Point Postfix at it (see README.md); Ctrl-C stops it."
wait $pid
