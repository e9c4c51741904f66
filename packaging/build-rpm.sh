#!/bin/sh
# Builds qmilter's source tarball, binary RPMs (qmilter, qmilter-devel) and source RPM into
# OUTDIR, from the working tree this script sits in. Works on RPM systems and on Debian
# (rpmbuild --nodeps: the build dependencies are Debian packages, which rpm does not see).
#   packaging/build-rpm.sh OUTDIR
# env: QMILTER_RPM_JOBS (parallel compile jobs, default 2); QMILTER_RPM_FAST=1 compiles
# without optimisation or debug info, in half the time (the packaging test uses it).
set -eu
if [ $# -ne 1 ]; then echo "usage: $0 OUTDIR" >&2; exit 2; fi
mkdir -p "$1"
outdir=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^project(qmilter VERSION \([0-9][0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[ -n "$version" ] || { echo "$0: no project(qmilter VERSION ...) in $src/CMakeLists.txt" >&2; exit 1; }
topdir=$(mktemp -d "${TMPDIR:-/tmp}/qmilter-rpm.XXXXXX")
trap 'rm -rf "$topdir"' EXIT INT TERM
mkdir -p "$topdir/SOURCES" "$topdir/SPECS" "$topdir/stage"

# The tarball holds the files of the tree as they are now (so uncommitted work is what gets
# packaged, as with a plain build), minus build directories and git's ignored files.
stage="$topdir/stage/qmilter-$version"
mkdir -p "$stage"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$src" && git ls-files -z --cached --others --exclude-standard) |
    (cd "$src" && xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh) |
    (cd "$src" && cpio -0 -pdm --quiet "$stage")
else
  (cd "$src" && find . -path './build*' -prune -o -path './.git' -prune -o -path './out*' -prune \
     -o \( -type f -o -type l \) -print0) | (cd "$src" && cpio -0 -pdm --quiet "$stage")
fi
tar -C "$topdir/stage" --owner=0 --group=0 --numeric-owner -czf "$topdir/SOURCES/qmilter-$version.tar.gz" "qmilter-$version"
sed "s/@VERSION@/$version/g" "$src/packaging/qmilter.spec.in" >"$topdir/SPECS/qmilter.spec"

rpmbuild -ba --nodeps \
  --define "_topdir $topdir" \
  --define "qm_jobs ${QMILTER_RPM_JOBS:-2}" \
  --define "qm_fast ${QMILTER_RPM_FAST:-0}" \
  "$topdir/SPECS/qmilter.spec"

cp "$topdir/SOURCES/qmilter-$version.tar.gz" "$outdir/"
find "$topdir/RPMS" "$topdir/SRPMS" -name '*.rpm' -exec cp {} "$outdir/" \;
ls -1 "$outdir"
