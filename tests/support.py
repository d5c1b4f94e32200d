"""Helpers shared by the test suites: the repository root, a strict mkdocs build, page sources, a local server."""

import contextlib
import functools
import http.server
import os
import re
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Lighthouse's mobile preset (a Moto G Power): the screen of the tests that load a page as Lighthouse does.
PHONE = {"viewport": {"width": 412, "height": 823}, "device_scale_factor": 1.75, "is_mobile": True, "has_touch": True}
# A large desktop screen: the first screen that shows the most blocks of a page (13, on "For authors").
LARGE_DESKTOP = {"viewport": {"width": 2560, "height": 1440}}
MKDOCS = [sys.executable, "-m", "mkdocs"]
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def fixture_config(options: str = "", extensions: str = "", node_modules: Path = ROOT / "node_modules") -> str:
    """mkdocs.yml of a fixture site: strict, Material without web fonts, the build_charts plugin with
    `options` (YAML lines under it), and `extensions` (YAML list items under markdown_extensions)."""
    def block(text: str, indent: int) -> str:
        return textwrap.indent(textwrap.dedent(text).strip("\n") + "\n", " " * indent) if text.strip() else ""
    return (f"site_name: fixture\nstrict: true\ntheme:\n  name: material\n  font: false\nplugins:\n"
            f"  - build_charts:\n      assets_node_modules: {node_modules}\n{block(options, 6)}"
            + (f"markdown_extensions:\n{block(extensions, 2)}" if extensions.strip() else ""))


def mkdocs_build(config: Path, site_dir: Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Build with --strict in a fresh process (no cache shared with the test process)."""
    return subprocess.run(
        [*MKDOCS, "build", "--strict", "--config-file", str(config), "--site-dir", str(site_dir)],
        cwd=cwd or config.parent, env=ENV, capture_output=True, text=True, timeout=600)


def page_source(md: str) -> str:
    """A page's Markdown with its `--8<--` includes of quizzes/ expanded (their lab markers render in the page)."""
    text = (ROOT / "docs" / md).read_text()
    return re.sub(r'^--8<-- "(quizzes/[^"]+)"$', lambda m: (ROOT / "docs" / m.group(1)).read_text(), text, flags=re.M)


def chart_ids(text: str) -> list[str]:
    """Chart markers (```chart fences, indented ones too) of a page source."""
    return re.findall(r"^\s*```chart\n\s*(\S+)\n\s*```", text, flags=re.M)


def lab_ids(text: str) -> list[str]:
    """Lab markers of a page source: ```lab fences and inline `#!lab id`."""
    block = re.findall(r"^\s*```lab\n\s*(\S+)\n\s*```", text, flags=re.M)
    inline = re.findall(r"`#!lab ([^`]+)`", text)
    return block + [i.strip() for i in inline]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(directory, handler=QuietHandler):
    """Serve ``directory`` on a free local port for the duration of the block; yields the base URL.
    bench/serve.py passes a handler that compresses as a static host does."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


ALL_CHARTS_DRAWN = "() => [...document.querySelectorAll('.bc-plot')].every(e => e.dataset.drawn)"


def draw_every_chart(page, timeout=30_000):
    """Bring each chart on screen in turn, as a reader scrolling down would, then back to the top, and wait
    until every chart is drawn: charts.js draws a chart only when it nears the screen. ``page`` may be a
    Playwright Page or Frame."""
    page.evaluate("""async () => {
        const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
        for (const el of document.querySelectorAll('.bc-plot')) { el.scrollIntoView({block: 'center'}); await frame(); }
        window.scrollTo(0, 0);
    }""")
    page.wait_for_function(ALL_CHARTS_DRAWN, timeout=timeout)
