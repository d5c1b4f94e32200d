"""simulator_wasm as a pure-Python wheel, built in memory at build time.

The worker installs it with ``pyodide.unpackArchive(buffer, "wheel")``: no micropip, no network.
The archive is deterministic (sorted entries, fixed timestamps and permissions), so two builds of
the same source give the same bytes.
"""

import base64
import hashlib
import io
import zipfile
from pathlib import Path

import simulator_wasm

NAME = "simulator_wasm"
VERSION = "0.1.0"
FILE_NAME = f"{NAME}-{VERSION}-py3-none-any.whl"
EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold


def package_dir() -> Path:
    return Path(simulator_wasm.__file__).parent


def source_files(directory: Path | None = None) -> list[Path]:
    """Every file of the package (modules and any data they read), without bytecode caches."""
    directory = directory or package_dir()
    return sorted(p for p in directory.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                  and p.suffix not in (".pyc", ".pyo"))


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def build_wheel(directory: Path | None = None) -> bytes:
    directory = directory or package_dir()
    entries = [(f"{NAME}/{p.relative_to(directory).as_posix()}", p.read_bytes()) for p in source_files(directory)]
    dist_info = f"{NAME}-{VERSION}.dist-info"
    entries += [
        (f"{dist_info}/METADATA", f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n".encode()),
        (f"{dist_info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: build_charts\nRoot-Is-Purelib: true\n"
                               b"Tag: py3-none-any\n"),
    ]
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in entries)
    entries.append((f"{dist_info}/RECORD", (record + f"{dist_info}/RECORD,,\n").encode()))

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return out.getvalue()


def source_hash(directory: Path | None = None) -> str:
    """sha256 over the package's source files: the key of every cached precomputed result."""
    directory = directory or package_dir()
    h = hashlib.sha256()
    for p in source_files(directory):
        h.update(p.relative_to(directory).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()
