"""Session fixtures shared by every suite."""

from pathlib import Path

import pytest

from tests.support import ROOT, mkdocs_build


@pytest.fixture(scope="session")
def built_site() -> Path:
    """The site `make book` built; built here if a test run starts without it."""
    site = ROOT / "site"
    if not (site / "index.html").is_file():
        result = mkdocs_build(ROOT / "mkdocs.yml", site)
        if result.returncode != 0:
            pytest.fail(f"mkdocs build failed:\n{result.stderr[-3000:]}")
    return site
