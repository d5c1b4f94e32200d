"""Where the live simulator's Pyodide core and numpy come from, decided once per build.

The core (``pyodide.mjs``, the wasm, the standard library, ``pyodide-lock.json``) always comes
from the npm package ``pyodide`` pinned in package.json. numpy is not in that package; it comes
from one of three sources, chosen by the book's configuration and shown to the reader:

1. ``local``: wheels found in a local Pyodide package directory at build time, checked against
   the sha256 of the pinned lock file and copied into the site next to the core (offline,
   fully self-hosted). The directory is the first of: the environment variable
   ``PYODIDE_PACKAGES_DIR``; the per-user cache ``$XDG_CACHE_HOME/llm-training-book/pyodide-packages``
   (``~/.cache/...``) if it exists; the ``live_packages_dir`` option.
2. ``official``: the author opted in with ``live_package_base_url`` (another origin).
3. ``none``: live training is unavailable; the page shows results precomputed at build time.
"""

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from mkdocs.exceptions import PluginError

from . import lock as lock_file
from .lock import PACKAGES, sha256

CORE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
ENV_VAR = "PYODIDE_PACKAGES_DIR"


@dataclass(frozen=True)
class NumpySource:
    mode: str                  # "local", "official" or "none"
    reason: str                # one sentence for the reader: why this source
    found_in: str = ""         # for the build log only (never written into the page)
    wheels: tuple[Path, ...] = ()
    package_base_url: str = ""
    origin: str = ""           # the one other origin the page may read from (official mode)


@dataclass(frozen=True)
class Core:
    dir: Path
    version: str
    lock: dict = field(repr=False)


def load_core(node_modules: Path) -> Core:
    core = node_modules / "pyodide"
    missing = [name for name in CORE_FILES if not (core / name).is_file()]
    if missing:
        raise PluginError(
            f"build_charts: the live simulator needs the Pyodide core from npm, but {', '.join(missing)} "
            f"is missing in {core}. Install the npm packages first: `npm ci` (`make book` runs it).")
    version = json.loads((core / "package.json").read_text())["version"]
    return Core(core, version, json.loads((core / "pyodide-lock.json").read_text()))


def default_cache_dir(environ=os.environ) -> Path:
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "llm-training-book" / "pyodide-packages"


def packages_dir(option: str, root: Path, environ=os.environ) -> tuple[Path | None, str]:
    """The local package directory and how it was found (env var, per-user cache, mkdocs.yml)."""
    if environ.get(ENV_VAR):
        return Path(environ[ENV_VAR]).expanduser(), f"${ENV_VAR}"
    cache = default_cache_dir(environ)
    if cache.is_dir():
        return cache, "the per-user cache directory"
    if option:
        return (root / option).expanduser().resolve(), "live_packages_dir in mkdocs.yml"
    return None, f"nowhere (${ENV_VAR} unset, no {cache}, no live_packages_dir)"


def needed_packages(lock: dict, names=PACKAGES) -> list[dict]:
    """Lock entries of ``names`` and everything they depend on, in a stable order (lock.py)."""
    try:
        return lock_file.needed_packages(lock, names)
    except lock_file.LockError as err:
        raise PluginError(f"build_charts: {err}") from None


def local_wheels(directory: Path | None, found_in: str, core: Core) -> tuple[Path, ...] | None:
    """The wheels of the needed packages in ``directory``, each checked against the lock's sha256.

    None when one is absent. A wheel that is present under the lock's file name but has another
    hash stops the build: it was built for another Pyodide release and would fail in the browser.
    """
    if directory is None or not directory.is_dir():
        return None
    wheels = []
    for entry in needed_packages(core.lock):
        path = directory / entry["file_name"]
        if not path.is_file():
            return None
        digest = sha256(path)
        if digest != entry["sha256"]:
            raise PluginError(
                f"build_charts: {path} (found through {found_in}) has sha256 {digest}, but the lock of "
                f"Pyodide {core.version} expects {entry['sha256']}. It was built for another Pyodide "
                f"release. Fix: replace it with the wheel of that lock (DEVELOPERS.md says where to get "
                f"it), delete it, or point ${ENV_VAR} at another directory.")
        wheels.append(path)
    return tuple(wheels)


def package_base_url(option: str, version: str) -> tuple[str, str]:
    """(URL with trailing slash, its origin) of the opted-in package host, or ("", "")."""
    if not option:
        return "", ""
    url = option.replace("{version}", version)
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise PluginError(
            f"build_charts: live_package_base_url must be an https:// URL of a Pyodide package "
            f"directory, got {option!r}. Fix the option in mkdocs.yml, or remove it to keep the "
            f"site on one origin.")
    return url.rstrip("/") + "/", f"{parts.scheme}://{parts.netloc}"


def choose(choice: str, option_dir: str, base_url_option: str, root: Path, core: Core,
           environ=os.environ) -> NumpySource:
    """Pick numpy's source for this build (see the module docstring for the order)."""
    names = ", ".join(e["file_name"] for e in needed_packages(core.lock))
    if choice == "none":
        return NumpySource("none", "this book was built with live training turned off")
    directory, found_in = packages_dir(option_dir, root, environ)
    base_url, origin = package_base_url(base_url_option, core.version)
    wheels = local_wheels(directory, found_in, core) if choice in ("auto", "local") else None
    if wheels:
        return NumpySource("local", f"numpy {_version(core)} is served by this site with the book",
                           found_in=f"{directory} ({found_in})", wheels=wheels)
    if choice == "local":
        raise PluginError(
            f"build_charts: live_numpy_source is 'local' but {names} was not found in "
            f"{directory or 'any package directory'} (looked in {found_in}). Fix: put the wheel there, "
            f"set ${ENV_VAR}, or set live_numpy_source to 'auto'.")
    if base_url:
        return NumpySource("official", f"numpy {_version(core)} is loaded from {origin}, the Pyodide "
                                       f"package host this book's author chose",
                           package_base_url=base_url, origin=origin)
    if choice == "official":
        raise PluginError("build_charts: live_numpy_source is 'official' but live_package_base_url is "
                          "empty. Fix: set live_package_base_url in mkdocs.yml (docs/authors.md).")
    return NumpySource(
        "none", "numpy for Pyodide was not available when this book was built, and the book loads "
                "nothing from other sites", found_in=f"{directory} ({found_in})")


def _version(core: Core) -> str:
    return core.lock["packages"]["numpy"]["version"]
