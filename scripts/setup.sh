#!/bin/sh
# setup.sh - make sure the Debian packages dmasim builds against are installed.
#
# Run as root it installs what is missing with apt-get; run as anyone else it prints the exact
# apt-get line to run and exits 1, so `make demo` and `make test` never half-build.
set -eu

# libdeflate-dev: full data mode's crc32 of every payload (libdeflate_crc32, the same CRC-32 as
# zlib's, several times faster); zlib1g-dev still writes the traces' .gz.
# libjson-c-dev: a sweep's point files (shards and merge); the tests read reports back with it.
# help2man: the man pages are made from each command's --help.
# parallel: GNU parallel runs a sweep's shards in the tests, as docs/clusters.md shows.
# clang, libclang-rt-14-dev: the fuzz targets (libFuzzer); clang also builds the test drivers
# in MSVC's dialect.
PACKAGES="build-essential cmake pkgconf libuv1-dev check libsubunit-dev zlib1g-dev libdeflate-dev
          libinih-dev libjson-c-dev help2man parallel clang libclang-rt-14-dev"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "dmasim needs these Debian packages:$missing" >&2
    echo "install them with:  sudo apt-get install -y$missing" >&2
    exit 1
fi

echo "setup: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
