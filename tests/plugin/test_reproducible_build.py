"""Two builds from a clean state give byte-identical chart JSON."""

import re
import shutil

from tests.support import ROOT, mkdocs_build

FIGURE = re.compile(r'data-chart="([^"]+)"[^>]*data-figure="([^"]*)"')


def chart_json(site) -> dict[str, str]:
    found = {}
    for page in sorted(site.rglob("*.html")):
        for chart_id, payload in FIGURE.findall(page.read_text()):
            found[f"{page.relative_to(site)}#{chart_id}"] = payload
    return found


def test_two_clean_builds_give_identical_chart_json(tmp_path):
    sites = []
    for run in ("a", "b"):
        # Each build runs in a fresh process from a fresh copy, with no cache left by the other.
        work = tmp_path / run
        shutil.copytree(ROOT, work, ignore=shutil.ignore_patterns(
            ".git", ".venv", "node_modules", "site", ".cache", ".pytest_cache", "__pycache__"))
        (work / "node_modules").symlink_to(ROOT / "node_modules")
        result = mkdocs_build(work / "mkdocs.yml", work / "site")
        assert result.returncode == 0, result.stderr[-3000:]
        sites.append(chart_json(work / "site"))
    assert sites[0], "the site has no charts to compare"
    assert sites[0] == sites[1]
