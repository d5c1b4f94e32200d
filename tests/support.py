"""Helpers shared by the test suites: the repository root and a strict mkdocs build."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MKDOCS = [sys.executable, "-m", "mkdocs"]
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def mkdocs_build(config: Path, site_dir: Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Build with --strict in a fresh process (no cache shared with the test process)."""
    return subprocess.run(
        [*MKDOCS, "build", "--strict", "--config-file", str(config), "--site-dir", str(site_dir)],
        cwd=cwd or config.parent, env=ENV, capture_output=True, text=True, timeout=600)
