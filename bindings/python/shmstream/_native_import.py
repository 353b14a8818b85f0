"""Loads the compiled core.

Installed, the extension sits inside this package (shmstream/_shmstream.*.so). In a meson build tree it
sits alone in build/bindings/python/, which tests put on sys.path next to the package sources; only then
is the top-level name used. Any other import failure (e.g. an undefined symbol) is re-raised untouched.
"""

import importlib

try:
    native = importlib.import_module(f"{__package__}._shmstream")
except ModuleNotFoundError as error:
    if error.name != f"{__package__}._shmstream":
        raise
    native = importlib.import_module("_shmstream")

__all__ = ["native"]
