"""THIRD-PARTY-NOTICES.txt: every shipped component named with its version, licence and licence text."""

import json

import pytest
from mkdocs.exceptions import PluginError

from build_charts import notices
from tests.support import ROOT

NODE_MODULES = ROOT / "node_modules"


def test_the_built_site_ships_the_notices_of_what_it_copies(built_site):
    text = (built_site / "assets/vendor" / notices.SITE_PATH).read_text()
    for name in notices.NPM_PACKAGES:
        version = json.loads((NODE_MODULES / name / "package.json").read_text())["version"]
        assert f"{name} (npm)\n" in text and f"Version: {version}" in text, name
    # Pyodide's npm package has no licence file: the kept MPL-2.0 text and the source pointer stand in.
    assert "Mozilla Public License Version 2.0" in text
    assert "https://github.com/pyodide/pyodide/tree/" in text
    assert "MIT License" in text and "mkdocs-material (Python, theme assets)" in text
    for wheel in (built_site / "assets/vendor/pyodide").glob("*.whl"):
        assert f"{wheel.name} (Pyodide package)" in text


def test_a_package_without_licence_text_stops_the_build(tmp_path):
    pkg = tmp_path / "katex"
    pkg.mkdir()
    (pkg / "package.json").write_text(json.dumps({"name": "katex", "version": "0.0.1", "license": "WTFPL"}))
    with pytest.raises(PluginError, match="katex ships no licence file and 'WTFPL' is not kept"):
        notices.notices(tmp_path)
