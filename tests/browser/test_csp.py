"""The Content-Security-Policy of every page (build_charts/csp.py): present, strict, and never violated."""

import re

import pytest

import json

from build_charts import csp, offline
from tests.browser.test_pages import nav_pages, page_url
from tests.support import ROOT, draw_every_chart

SHIM = (ROOT / "node_modules/iframe-worker/shim/index.js").read_text()


def shim_hash(text: str) -> list[str]:
    """The hash of the script the iframe-worker shim writes on file:// for this page's search worker."""
    config = offline.SEARCH_URL.search(text)
    worker = json.loads(config.group(1)).get("search") if config else None
    return [offline.shim_script_hash(SHIM, worker)] if worker else []

# Recorded from the first script the page runs (Playwright's init script is not subject to the policy).
LISTEN = """window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
    {directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample, line: e.lineNumber}));"""
META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">')


def directives(policy: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}


def page_files(site):
    return [site / page_url(md) for md in nav_pages()] + [site / "404.html"]


def test_every_page_has_one_policy_first_in_head_with_hashes_of_its_own_inline_scripts(built_site):
    for path in page_files(built_site):
        text = path.read_text()
        policies = META.findall(text)
        assert len(policies) == 1, f"{path.name}: {len(policies)} CSP meta tags"
        assert text.index("<head>") + len("<head>") == text.index("<meta http-equiv=\"Content-Security-Policy\"")
        d = directives(policies[0])
        assert d["default-src"] == ["'self'"] and d["object-src"] == ["'none'"]
        assert "'unsafe-inline'" not in d["script-src"] and "'unsafe-eval'" not in d["script-src"]
        # The hashes are exactly those of the page's inline scripts, and of the one the search shim writes when
        # the page is opened from disk (the policy text itself holds no script).
        assert sorted(s for s in d["script-src"] if s.startswith("'sha256-")) == \
            sorted(csp.inline_script_hashes(text) + shim_hash(text))
        assert d["style-src"] == ["'self'", "'unsafe-inline'"]
        assert d["img-src"] == ["'self'", "data:"] and d["font-src"] == ["'self'", "data:"]
        simulator = path.name == "simulator.html"
        # Only the simulator page gets what Pyodide's worker needs.
        assert ("'wasm-unsafe-eval'" in d["script-src"]) == simulator, path.name
        assert d["worker-src"] == (["'self'", "blob:"] if simulator else ["'self'"]), path.name


def test_hashes_cover_only_executable_inline_scripts():
    page = ('<head><script>a()</script><script src="x.js"></script><script type="application/json">{"b":1}'
            '</script><script type="module">c()</script><script>a()</script></head>')
    hashes = csp.inline_script_hashes(page)
    assert len(hashes) == 2   # a() (once) and c(); not the file, not the JSON data block
    # base64 of sha256("a()"), computed independently of csp.py
    import base64
    import hashlib
    assert hashes[0] == "'sha256-" + base64.b64encode(hashlib.sha256(b"a()").digest()).decode() + "'"
    assert csp.policy(hashes).count("'sha256-") == 2
    assert "pkg.example" not in csp.policy(hashes, package_origin="https://pkg.example")   # simulator only
    assert csp.policy(simulator=True, package_origin="https://pkg.example").count("https://pkg.example") == 2


def open_recorded(context, url):
    page = context.new_page()
    page.csp_errors = []
    page.on("console", lambda m: m.type == "error" and "Content Security Policy" in m.text
            and page.csp_errors.append(m.text))
    page.goto(url, wait_until="load")
    return page


@pytest.mark.browser
@pytest.mark.parametrize("md", nav_pages() + ["404.md"])
def test_no_violation_when_reading_a_page(browser, site_url, md):
    context = browser.new_context()
    context.add_init_script(LISTEN)
    page = open_recorded(context, site_url + page_url(md))
    draw_every_chart(page)
    assert page.evaluate("[...document.querySelectorAll('.bc-plot')].every(e => e.dataset.drawn === 'true')")
    # Material's own inline scripts ran (allowed by their hashes): the palette script set the scheme.
    assert page.evaluate("typeof __md_scope") == "object"
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')")
    # Use the page a little: search (Material's worker), the scheme toggle, a details block.
    page.keyboard.press("/")
    page.keyboard.type("loss")
    page.wait_for_timeout(500)
    page.keyboard.press("Escape")
    page.locator("label.md-header__button[for^='__palette']:visible").first.click()
    if page.locator("details.bc-data").count():
        page.locator("details.bc-data summary").first.click()
    page.wait_for_timeout(300)
    violations = page.evaluate("window.__csp")
    context.close()
    assert not violations, f"{md}: CSP violations: {violations}"
    assert not page.csp_errors, f"{md}: CSP console errors: {page.csp_errors}"


@pytest.mark.browser
def test_an_injected_inline_script_without_a_hash_is_blocked(browser, site_url, built_site):
    """The plugin's policy on a real page: its own inline scripts run, one added after the build does not."""
    html = (built_site / "pretraining.html").read_text()
    injected = html.replace("</body>", "<script>window.__injected = true;</script></body>", 1)
    assert injected != html
    context = browser.new_context()
    context.add_init_script(LISTEN)
    probe = site_url + "csp-probe.html"   # served from the site's origin, so 'self' assets still load
    context.route(probe, lambda route: route.fulfill(status=200, body=injected, content_type="text/html"))
    page = open_recorded(context, probe)
    draw_every_chart(page)
    assert page.evaluate("typeof __md_scope") == "object"       # hashed inline script: ran
    assert page.evaluate("window.__injected") is None            # unhashed inline script: refused
    violations = page.evaluate("window.__csp")
    context.close()
    assert [v["directive"] for v in violations] == ["script-src-elem"], violations
    assert "window.__injected" in violations[0]["sample"] or violations[0]["blocked"] == "inline"
    # Chromium's wording changes between versions ("Refused to execute inline script…", "Executing inline
    # script violates…"); both name the inline script and the policy.
    assert any("inline script" in e.lower() for e in page.csp_errors), page.csp_errors
