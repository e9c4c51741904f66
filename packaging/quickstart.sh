#!/bin/sh
# Quick start: builds qmilter, checks and runs it and qmilter-web on config/qmilter.conf
# (FILE quarantine under config/quarantine, SQLite whitelist config/whitelist.db, e-mail
# notifications with qmilter-web links), sends it a clean message, a spam-flagged one and a
# virus-flagged one over the milter protocol, shows what was quarantined, opens the link of
# a spam notification and shows its page, and keeps both running until Ctrl-C. Installs
# build packages as root.
set -eu
cd "$(dirname "$0")/.."
packaging/debian-deps.sh build
cmake -S . -B build -DQMILTER_BUILD_TESTS=ON >/dev/null
cmake --build build -j"$(nproc)"

conf=config/qmilter.conf
socket="$PWD/config/qmilter.sock"
loadgen=build/tests/bench/milter_loadgen
mkdir -p config/quarantine/virus config/quarantine/spam
build/bin/qmilterctl -c "$conf" web secret
build/bin/qmilter -t -c "$conf"
build/bin/qmilter-web -t -c "$conf"
build/bin/qmilter -c "$conf" &
pid=$!
build/bin/qmilter-web -c "$conf" &
webpid=$!
trap 'kill $pid $webpid 2>/dev/null; wait $pid $webpid 2>/dev/null' EXIT INT TERM
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
echo "--- a spam notification (queued in config/state/outbox/spam for smtp_host:smtp_port) links to the recipient's page:"
# The notification's HTML is quoted-printable: join soft line breaks, decode =XX, find the link.
link=
i=0
while [ -z "$link" ] && [ $i -lt 50 ]; do
  qp=$(cat config/state/outbox/spam/*.msg 2>/dev/null | tr -d '\r' | sed -e ':a' -e '/=$/{N;s/=\n//;ba' -e '}' |
       sed 's/=\([0-9A-F][0-9A-F]\)/\\x\1/g' || true)
  link=$(bash -c 'printf "%b" "$1"' _ "$qp" | grep -o 'http://127.0.0.1:8025/m/[A-Za-z0-9_-]*' | tail -n 1 || true)
  i=$((i + 1)); [ -n "$link" ] || sleep 0.1
done
[ -n "$link" ] || { echo "no link found in the notification outbox" >&2; exit 1; }
echo "$link"
curl -fsS "$link" | sed -n -e 's/.*<h1>\(.*\)<\/h1>.*/  \1/p' -e 's/<tr><th>\(.*\)<\/th><td>\(.*\)<\/td><\/tr>/  \1: \2/p' \
  -e 's/.*name="action" value="\([a-z]*\)">\([^<]*\)<.*/  [\2]/p' | sed -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g'
echo
echo "qmilter is running on unix:$socket (pid $pid), qmilter-web on http://127.0.0.1:8025 (pid $webpid)."
echo "Open the link above in a browser; point Postfix at qmilter (see README.md); Ctrl-C stops both."
wait $pid
