#!/usr/bin/env bash
# `pip install .` of the Python package into fresh virtual environments, from a copy of the source tree:
#  1. Debian's python3 with its meson-python (--system-site-packages): the wheel installs, holds only the
#     package (no C++ library, headers or shmstream.pc), and puts and reads a record from another directory;
#  2. a python3 that cannot import meson-python: the build stops with a message naming what is missing.
# Usage: test_pip_install.sh SOURCE_DIR
set -euo pipefail
source=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"
if git -C "$source" rev-parse --git-dir >/dev/null 2>&1; then
  (cd "$source" && git ls-files -z | xargs -0 cp --parents -t "$work/src")
else
  tar -C "$source" --exclude='./build*' --exclude='./.git' -cf - . | tar -C "$work/src" -xf -
fi

python=/usr/bin/python3
"$python" -m venv --system-site-packages "$work/venv"
# -O0: this checks the packaging, not the code, and compiles twice as fast.
"$work/venv/bin/pip" install --quiet --no-build-isolation --no-index --config-settings=setup-args=-Doptimization=0 "$work/src" >"$work/pip.log" 2>&1 || {
  cat "$work/pip.log"
  exit 1
}
site=$("$work/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')
[ -f "$site/shmstream/__init__.py" ] || { echo "package not installed under $site"; exit 1; }
stray=$(find "$work/venv" \( -name 'libshmstream*' -o -name shmstream.pc -o -name stream.hpp \) -print)
[ -z "$stray" ] || { echo "the wheel carries the C++ library: $stray"; exit 1; }
(cd "$work" && "$work/venv/bin/python" - "$work/root" <<'PY'
import sys
import shmstream
stream = shmstream.Stream.create("pip", root=sys.argv[1])
stream.put("key", b"installed")
assert [record.data for record in stream.records()] == [b"installed"]
assert shmstream.__file__.startswith(sys.prefix), shmstream.__file__
PY
)

"$python" -m venv "$work/bare"  # no system site packages: no meson-python
if "$work/bare/bin/pip" install --no-build-isolation --no-index "$work/src" >"$work/bare.log" 2>&1; then
  echo "pip install without meson-python succeeded"; exit 1
fi
grep -q "built by meson-python" "$work/bare.log" || { cat "$work/bare.log"; echo "no clear message"; exit 1; }
echo "pip install: wheel without the C++ library works; missing meson-python is named"
