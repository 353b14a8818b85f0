#!/usr/bin/env bash
# Installs the build into a temporary DESTDIR and builds tests/install/example.cpp against it with pkg-config
# only, once with the shared library and once with the static one, and runs both. The headers need C++20
# (pkg-config's Cflags say so).
# Usage: test_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
meson install -C "$build" --destdir "$work/dest" --no-rebuild >"$work/install.log" 2>&1 || {
  cat "$work/install.log"
  exit 1
}
pc=$(find "$work/dest" -name shmstream.pc | head -n 1)
[ -n "$pc" ] || { echo "no shmstream.pc installed"; exit 1; }
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_SYSROOT_DIR="$work/dest"  # the .pc names the prefix; the files are under DESTDIR
for header in stream.hpp producer.hpp reader.hpp stream_reader.hpp janitor.hpp layout/frame.hpp; do
  [ -f "$(pkg-config --variable=includedir shmstream)/shmstream/$header" ] ||  # sysroot-prefixed
    { echo "header $header not installed"; exit 1; }
done
cxx=${CXX:-c++}
# shellcheck disable=SC2046 # pkg-config prints a list of flags
"$cxx" "$source/tests/install/example.cpp" $(pkg-config --cflags --libs shmstream) -o "$work/example-shared"
libdir=$(pkg-config --libs-only-L shmstream | sed 's/^-L//; s/ *$//')
LD_LIBRARY_PATH="$libdir" "$work/example-shared" "$work/root-shared"
# shellcheck disable=SC2046
"$cxx" "$source/tests/install/example.cpp" $(pkg-config --cflags shmstream) "$libdir/libshmstream.a" \
  $(pkg-config --static --libs-only-other --libs-only-l shmstream | sed 's/-lshmstream//') -o "$work/example-static"
if ldd "$work/example-static" | grep -q libshmstream; then echo "the static build links libshmstream.so"; exit 1; fi
"$work/example-static" "$work/root-static"
echo "installed library: shared and static builds of the example passed"
