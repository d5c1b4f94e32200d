"""What the live simulator needs from the Pyodide lock file, and the check of a downloaded wheel.

Standard library only: the build (sources.py) imports it, and tools/fetch_numpy_wheel.py loads it by path
on a machine where MkDocs is not installed yet.
"""

import hashlib
from pathlib import Path

PACKAGES = ("numpy",)  # what simulator_wasm imports beyond the standard library


class LockError(Exception):
    pass


def needed_packages(lock: dict, names=PACKAGES) -> list[dict]:
    """Lock entries of ``names`` and everything they depend on, in a stable order."""
    out, todo = {}, list(names)
    while todo:
        name = todo.pop(0)
        if name in out:
            continue
        if name not in lock["packages"]:
            raise LockError(f"package {name!r} is not in the Pyodide lock file")
        out[name] = lock["packages"][name]
        todo += out[name].get("depends", [])
    return [out[k] for k in sorted(out)]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
