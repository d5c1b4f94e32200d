"""The book under a sub-path, as GitHub Pages serves a project site (https://<owner>.github.io/<repo>/).

The site is built the way the Pages workflow builds it, with ``SITE_URL`` set (mkdocs.yml reads
it into ``site_url``), here http://127.0.0.1:PORT/book/, and served under /book/ with nothing at
the server's root: a URL that escapes the sub-path fails with a 404.
"""

import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from tests.browser.test_pages import nav_pages
from tests.support import MKDOCS, ROOT, serve, draw_every_chart


@pytest.fixture(scope="module")
def book_url(tmp_path_factory):
    root = tmp_path_factory.mktemp("pages")
    with serve(root) as origin:    # the port must be known before the build writes site_url
        url = origin + "book/"
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SITE_URL": url}
        result = subprocess.run([*MKDOCS, "build", "--strict", "--site-dir", str(root / "book")],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            pytest.fail(f"mkdocs build with SITE_URL={url} failed:\n{result.stderr[-3000:]}")
        yield url


def html_url(md: str) -> str:
    return re.sub(r"\.(md|ipynb)$", ".html", md)


def open_page(browser, url):
    context = browser.new_context()
    requests, bad = [], []
    context.on("request", lambda r: requests.append(r.url))
    context.on("requestfailed", lambda r: bad.append(f"{r.failure} {r.url}"))
    context.on("response", lambda r: r.status >= 400 and bad.append(f"{r.status} {r.url}"))
    page = context.new_page()
    response = page.goto(url, wait_until="load")
    return page, response, requests, bad


@pytest.mark.browser
@pytest.mark.parametrize("md", nav_pages())
def test_every_page_loads_everything_from_under_the_sub_path(browser, book_url, md):
    page, response, requests, bad = open_page(browser, book_url + html_url(md))
    try:
        assert response.status == 200
        page.wait_for_load_state("networkidle", timeout=90_000)
        assert not bad, bad
        outside = [u for u in requests if not u.startswith((book_url, "data:", "blob:"))]
        assert not outside, f"requests outside {book_url}: {outside}"
        assert page.locator("link[rel=canonical]").get_attribute("href") == book_url + html_url(md)
    finally:
        page.context.close()


@pytest.mark.browser
def test_charts_draw_under_the_sub_path(browser, book_url):
    page, response, requests, bad = open_page(browser, book_url + "pretraining.html")
    try:
        draw_every_chart(page)
        assert page.locator(".bc-plot").count() > 0 and not bad
        assert page.evaluate("[...document.querySelectorAll('.bc-plot')].every(e => e.dataset.drawn === 'true')")
    finally:
        page.context.close()


@pytest.mark.browser
def test_simulator_config_urls_load_under_the_sub_path(browser, book_url):
    page, response, requests, bad = open_page(browser, book_url + "simulator.html")
    try:
        config = json.loads(page.locator(".bc-simulator").get_attribute("data-simulator"))
        urls = config["urls"]
        wanted = [urls["worker"], urls["wheel"], urls["series"], urls["core"] + "pyodide.mjs",
                  urls["core"] + "pyodide-lock.json"]
        if config["source"]["mode"] == "local":      # numpy is served by the site itself
            lock = page.evaluate("u => fetch(u).then(r => r.json())", urls["core"] + "pyodide-lock.json")
            wanted.append(urls["core"] + lock["packages"]["numpy"]["file_name"])
        for rel in wanted:
            absolute = page.evaluate("u => new URL(u, location.href).href", rel)
            assert absolute.startswith(book_url), f"{rel} resolves outside the sub-path: {absolute}"
            status = page.evaluate("u => fetch(u).then(r => r.arrayBuffer().then(() => r.status))", rel)
            assert status == 200, f"{absolute}: HTTP {status}"
        assert not bad, bad
    finally:
        page.context.close()


@pytest.mark.browser
def test_the_404_page_and_sitemap_use_the_sub_path(browser, book_url):
    # The 404 page is served for any missing URL, so its assets are absolute: they must include /book/.
    page, response, requests, bad = open_page(browser, book_url + "404.html")
    try:
        page.wait_for_load_state("networkidle", timeout=90_000)
        assert not bad, bad
        assert page.locator(".md-header").is_visible()
    finally:
        page.context.close()
    sitemap = page.context.browser.new_page()
    try:
        text = sitemap.goto(book_url + "sitemap.xml").text()
    finally:
        sitemap.close()
    locs = [e.text for e in ET.fromstring(text).iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert locs and all(u.startswith(book_url) for u in locs), locs[:3]
