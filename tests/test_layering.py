"""The library's layers import only downward (docs/DESIGN.md §2.1), and the public headers hand out
no internal type. Reads every #include "..." line of src/ and include/shmstream/; fails on an include of a
layer above the including file's, of a layer beside it (log and router), or of src/ from a public header.

Run directly (python3 tests/test_layering.py [SOURCE_ROOT]) or under pytest.
"""
import pathlib
import re
import shutil
import sys
import tempfile

# Lowest first. A file may include its own layer and any layer of a lower rank.
RANKS = {
    "foundation": 0,  # status, hash keys, limits, records, the clock, layout/, src/common
    "wait": 1,
    "crypto": 1,  # beside wait: key files, the local KMS, AES-GCM of frames
    "segment": 2,
    "log": 3,
    "router": 3,
    "stream": 4,
    "application": 5,  # lease tables (docs/APPLICATIONS.md)
    "client": 6,
    "janitor": 6,  # beside client: neither includes the other
}
PUBLIC_HEADER_LAYERS = {
    "stream.hpp": "stream",
    "iterator_token.hpp": "stream",
    "producer.hpp": "client",
    "reader.hpp": "client",
    "stream_reader.hpp": "client",
    "application.hpp": "client",
    "worker.hpp": "client",
    "janitor.hpp": "janitor",
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def layer_of_public(name):
    """Layer of include/shmstream/<name> (name relative to include/shmstream)."""
    return PUBLIC_HEADER_LAYERS.get(name, "foundation")


def layer_of_source(root, path):
    relative = path.relative_to(root)
    if relative.parts[0] == "include":
        return layer_of_public("/".join(relative.parts[2:]))
    directory = relative.parts[1]
    return "foundation" if directory == "common" else directory


def layer_of_include(target):
    if target.startswith("shmstream/"):
        return layer_of_public(target[len("shmstream/"):])
    directory = target.split("/")[0]
    return "foundation" if directory == "common" else directory


def violations(root):
    root = pathlib.Path(root)
    found = []
    files = sorted((root / "src").rglob("*.[ch]pp")) + sorted((root / "include" / "shmstream").rglob("*.hpp"))
    for path in files:
        own = layer_of_source(root, path)
        if own not in RANKS:
            found.append(f"{path.relative_to(root)}: directory of no known layer ({own})")
            continue
        public = path.relative_to(root).parts[0] == "include"
        for target in INCLUDE.findall(path.read_text()):
            if public and not target.startswith("shmstream/"):
                found.append(f"{path.relative_to(root)}: public header includes internal {target}")
                continue
            other = layer_of_include(target)
            if other not in RANKS:
                continue  # a file beside it, e.g. "../transport.hpp" style (none in the library today)
            if other != own and RANKS[other] >= RANKS[own]:
                found.append(f"{path.relative_to(root)} ({own}) includes {target} ({other}): not a lower layer")
    return found


def public_detail_violations(root):
    """detail:: names in a public header are allowed only as forward declarations, in private sections
    (pimpl members), and in friend declarations."""
    found = []
    for path in sorted((pathlib.Path(root) / "include" / "shmstream").rglob("*.hpp")):
        access = "public"
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("//")[0]
            stripped = code.strip()
            if re.match(r"(class|struct)\s+\w+[^;]*\{", stripped):
                access = "private" if stripped.startswith("class") else "public"
            if stripped in ("public:", "protected:", "private:"):
                access = stripped[:-1]
            if "detail::" not in code or stripped.startswith("friend ") or access == "private":
                continue
            found.append(f"{path}:{number}: public API names an internal type: {stripped}")
    return found


def check(root):
    return violations(root) + public_detail_violations(root)


def source_root():
    return pathlib.Path(sys.argv[1] if len(sys.argv) > 1 and __name__ == "__main__" else
                        pathlib.Path(__file__).resolve().parent.parent)


def test_layers_import_downward():
    assert check(source_root()) == []


def test_a_planted_upward_include_is_caught():
    with tempfile.TemporaryDirectory() as scratch:
        copy = pathlib.Path(scratch) / "tree"
        shutil.copytree(source_root() / "src", copy / "src")
        shutil.copytree(source_root() / "include", copy / "include")
        assert check(copy) == []
        target = copy / "src" / "segment" / "segment_cache.cpp"
        target.write_text('#include "stream/stream_state.hpp"\n' + target.read_text())
        sideways = copy / "src" / "log" / "shard_log.hpp"
        sideways.write_text('#include "router/shard_map.hpp"\n' + sideways.read_text())
        lease_table = copy / "src" / "application" / "lease_table.cpp"
        lease_table.write_text('#include "client/lease_rows.hpp"\n' + lease_table.read_text())
        public = copy / "include" / "shmstream" / "stream.hpp"
        public.write_text(public.read_text().replace(
            " private:\n", " public:\n  detail::StreamState& state();\n\n private:\n", 1))
        found = check(copy)
        assert any("segment_cache.cpp (segment) includes stream/stream_state.hpp" in v for v in found), found
        assert any("shard_log.hpp (log) includes router/shard_map.hpp" in v for v in found), found
        assert any("lease_table.cpp (application) includes client/lease_rows.hpp" in v for v in found), found
        assert any("names an internal type" in v for v in found), found


if __name__ == "__main__":
    problems = check(source_root())
    for problem in problems:
        print(problem)
    sys.exit(1 if problems else 0)
