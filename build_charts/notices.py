"""THIRD-PARTY-NOTICES.txt: who wrote the code the site ships, under which licence, with the licence texts.

The site redistributes other people's code: Material's theme (its JS and CSS), Plotly, KaTeX and the Pyodide
core from npm, and a numpy wheel when one is self-hosted. Their licences ask for the copyright notice and licence
text to travel with the copy; Pyodide's MPL-2.0 also asks that readers be told where its source is. The npm
package of Pyodide carries no licence file, so the MPL-2.0 text is kept in ``licenses/`` (copied from Debian's
/usr/share/common-licenses). Everything else is read from the installed packages at build time, so the notices
follow the pinned versions.
"""

import importlib.metadata
import json
from pathlib import Path

from mkdocs.exceptions import PluginError

HERE = Path(__file__).parent
SITE_PATH = "THIRD-PARTY-NOTICES.txt"           # under assets_dir
NPM_PACKAGES = ("plotly.js-cartesian-dist-min", "katex", "pyodide", "iframe-worker")
PYTHON_PACKAGES = ("mkdocs-material",)          # only its theme assets are copied into the site
KEPT_LICENSES = {"MPL-2.0": HERE / "licenses" / "MPL-2.0.txt"}


def _section(title: str, facts: list[str], text: str) -> str:
    rule = "=" * 78
    return "\n".join([rule, title, rule, *facts, "", text.strip(), "", ""])


def _npm(node_modules: Path, name: str) -> str | None:
    folder = node_modules / name
    if not (folder / "package.json").is_file():
        return None                              # not installed: not shipped either
    meta = json.loads((folder / "package.json").read_text())
    licence = meta.get("license", "see the package")
    files = sorted(p for p in folder.iterdir() if p.name.upper().startswith(("LICENSE", "LICENCE", "COPYING")))
    if files:
        text = "\n\n".join(p.read_text(errors="replace") for p in files)
    elif licence in KEPT_LICENSES:
        text = KEPT_LICENSES[licence].read_text()
    else:
        raise PluginError(f"build_charts: npm package {name} ships no licence file and {licence!r} is not kept in "
                         f"build_charts/licenses/: add its text there before shipping the package")
    repo = meta.get("repository", {})
    source = (repo.get("url", "") if isinstance(repo, dict) else str(repo)).removeprefix("git+")
    facts = [f"Version: {meta['version']}", f"Licence: {licence}", f"Source code: {source or meta.get('homepage')}"]
    if name == "pyodide":
        facts.append(f"The Pyodide files under assets/vendor/pyodide/ are unmodified copies of release "
                     f"{meta['version']}; its source code is at https://github.com/pyodide/pyodide/tree/{meta['version']}.")
    return _section(f"{name} (npm)", facts, text)


def _python(name: str) -> str:
    dist = importlib.metadata.distribution(name)
    licence = dist.metadata.get("License-Expression") or dist.metadata.get("License") or "see the package"
    files = [f for f in dist.files or [] if ".dist-info/licenses/" in str(f) or
             (".dist-info/" in str(f) and f.name.upper().startswith("LICENSE"))]
    text = "\n\n".join(f.read_text() for f in files) or f"Licence: {licence}"
    return _section(f"{name} (Python, theme assets)", [f"Version: {dist.version}", f"Licence: {licence}"], text)


def notices(node_modules: Path, wheels: list[str] = ()) -> str:
    """The notices file: one section per shipped component, licence texts in full."""
    parts = ["Third-party software shipped with this site, and its licences.", ""]
    parts += [s for s in (_npm(node_modules, n) for n in NPM_PACKAGES) if s]
    parts += [_python(n) for n in PYTHON_PACKAGES]
    for wheel in wheels:
        parts.append(_section(f"{wheel} (Pyodide package)", ["Self-hosted unmodified; its licence files are "
                                                             "inside the wheel, under *.dist-info/licenses/."], ""))
    return "\n".join(parts)
