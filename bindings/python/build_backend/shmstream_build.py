"""The PEP 517 backend of the Python package: meson-python, behind a check that says what is missing.

pip reports a missing backend as a bare ModuleNotFoundError deep in a traceback; this module names the
requirements and the two ways to get them instead. Every hook is meson-python's own."""
import sys

try:
    from mesonpy import *  # noqa: F401,F403 - the PEP 517 hooks: build_wheel, build_sdist, ...
    from mesonpy import __version__ as _mesonpy_version
except ImportError as error:
    raise ImportError(
        f"shmstream's Python package is built by meson-python (>= 0.12) with meson (>= 1.0) and pybind11 "
        f"(>= 2.10), which {sys.executable} cannot import ({error}). Either install them for this Python "
        f"(pip install meson-python meson pybind11; the C++ compiler, ninja, libxxhash-dev and libssl-dev come "
        f"from the system) and run `pip install --no-build-isolation .` again, or use Debian's: "
        f"apt install python3-mesonpy pybind11-dev, then /usr/bin/python3 -m venv --system-site-packages VENV "
        f"and VENV/bin/pip install --no-build-isolation . (docs/PYTHON.md)") from None

if tuple(int(part) for part in _mesonpy_version.split(".")[:2]) < (0, 12):
    raise ImportError(f"shmstream needs meson-python >= 0.12; {sys.executable} has {_mesonpy_version}")
