#!/bin/sh
# Installs the Debian 12 packages qmilter needs: `build` for compiling and running it (and
# curl, with which the quick start opens a qmilter-web page),
# `test` for the full test suite (MTA, databases, ODBC drivers, rpmbuild). Run as root.
# Service start-up is suppressed during the install: the tests start their own servers.
set -eu
want=${1:-build}
build_pkgs="cmake g++ make pkg-config libmilter-dev libboost-dev libboost-filesystem-dev
  libpcre2-dev libssl-dev libmicrohttpd-dev nlohmann-json3-dev libcli11-dev libxml2-dev libetpan-dev unixodbc-dev
  unixodbc odbcinst libsqliteodbc libsqlite3-dev libgtest-dev libgmock-dev curl"
test_pkgs="postfix miltertest swaks sqlite3 postgresql odbc-postgresql mariadb-server
  odbc-mariadb rpm rpm2cpio cpio systemd openssl e2fsprogs python3 python3-pytest libclang-rt-14-dev clang-14 valgrind iproute2
  faketime chromium python3-prometheus-client libpython3.11-testsuite spamassassin"
case "$want" in
  build) pkgs=$build_pkgs ;;
  test) pkgs="$build_pkgs $test_pkgs" ;;
  *) echo "usage: $0 [build|test]" >&2; exit 2 ;;
esac
missing=$(for p in $pkgs; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || echo "$p"; done)
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then echo "need root to install: $missing" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
policy=/usr/sbin/policy-rc.d
created_policy=
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; created_policy=1; fi
trap '[ -n "$created_policy" ] && rm -f "$policy"' EXIT
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
