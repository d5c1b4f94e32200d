"""Keyboard only: every chart's data table, the Pretraining slider's data, the simulator's controls and Run.

Nothing here clicks: focus moves with Tab (and Shift+Tab), things are operated with Enter, Space and the
arrow keys. tests/browser/test_simulator.py::test_keyboard_only covers the order of the simulator's
controls, their labels and Reset; here a run is started and cancelled from the keyboard.
"""

import html
import json
import re

import pytest

from build_charts.render import number, plain
from tests.browser.test_pages import chart_markers, nav_pages, page_url
from tests.support import draw_every_chart

pytestmark = pytest.mark.browser

CHART_PAGES = [md for md in nav_pages() if chart_markers(md)]
MAX_TABS = 1500


def focused(page) -> dict:
    return page.evaluate("""() => { const e = document.activeElement;
        const d = e && e.closest('details.bc-data');
        return {tag: e ? e.tagName : null, id: e ? e.id : null,
                chart: d && e.tagName === 'SUMMARY' ? d.closest('figure').querySelector('.bc-plot').id : null,
                open: d ? d.open : null}; }""")


def drawn(page):
    draw_every_chart(page)


@pytest.mark.parametrize("md", CHART_PAGES)
def test_tab_reaches_each_data_table_and_enter_opens_it(browser, site_url, md):
    page = browser.new_page()
    page.goto(site_url + page_url(md))
    drawn(page)
    charts = page.evaluate("[...document.querySelectorAll('.bc-plot')].map(e => e.id)")
    opened = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        now = focused(page)
        if now["chart"] and now["chart"] not in opened:
            assert now["open"] is False, f"{now['chart']}: data table open before Enter"
            page.keyboard.press("Enter")
            assert focused(page)["open"] is True, f"{now['chart']}: Enter did not open the data table"
            opened.append(now["chart"])
            if len(opened) == len(charts):
                break
    assert opened == charts, f"{md}: keyboard reached the tables of {opened}, charts are {charts}"
    # Each opened table shows numbers, with a caption and a header row.
    tables = page.evaluate("""() => [...document.querySelectorAll('details.bc-data')].map(d => ({
        visible: d.querySelector('table').getBoundingClientRect().height > 0,
        caption: d.querySelector('caption').textContent, heads: d.querySelectorAll('thead th').length,
        rows: d.querySelectorAll('tbody tr').length}))""")
    for t in tables:
        assert t["visible"] and t["caption"] and t["heads"] >= 2 and t["rows"] >= 1, t
    page.close()


def table_rows(page, chart_id: str) -> set[tuple]:
    return {tuple(r) for r in page.evaluate("""id => [...document.getElementById(id).closest('figure')
        .querySelectorAll('details.bc-data tbody tr')].map(tr => [...tr.cells].map(c => c.textContent))""",
                                             chart_id)}


def test_every_position_of_the_pretraining_sliders_is_in_the_data_table(browser, site_url):
    """Plotly's sliders take no keyboard input; the data table is the keyboard's way to every position."""
    page = browser.new_page()
    page.goto(site_url + "pretraining.html")
    drawn(page)
    plot = page.locator(".bc-plot").filter(has=page.locator(".slider-container")).first
    chart_id = plot.get_attribute("id")
    fig = json.loads(html.unescape(page.get_attribute(f"#{chart_id}", "data-figure")))
    assert fig["layout"]["sliders"], "the chart with a slider has no slider in its figure"
    # The table is opened from the keyboard: Tab until its summary has focus, then Enter.
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if focused(page)["chart"] == chart_id:
            break
    assert focused(page)["chart"] == chart_id, "Tab never reached the slider chart's data table"
    page.keyboard.press("Space")
    assert focused(page)["open"] is True
    rows = table_rows(page, chart_id)
    names = [plain(t.get("name")) for t in fig["data"]]
    expected, positions = set(), 0
    for slider in fig["layout"]["sliders"]:
        for step in slider["steps"]:
            update, indices = step["args"][0], step["args"][1]
            if "x" not in update:
                continue   # this slider only changes which series stand out
            positions += 1
            for j, i in enumerate(indices):
                for x, y in zip(update["x"][j], update["y"][j]):
                    expected.add((names[i], number(x), number(y)))
    assert positions >= 2
    # Reference lines (two points spanning the shown range) are listed at the widest range only.
    spans = {names[i] for s in fig["layout"]["sliders"] for st in s["steps"] if "x" in st["args"][0]
             for j, i in enumerate(st["args"][1]) if len(st["args"][0]["x"][j]) <= 2}
    missing = {r for r in expected - rows if r[0] not in spans}
    assert not missing, f"{len(missing)} slider points not in the table, e.g. {sorted(missing)[:5]}"
    assert {r for r in rows if r[0] not in spans} <= expected, "the table holds points no slider position shows"
    page.close()


# ----------------------------------------------------------------------------------- the simulator
# A stand-in worker: ready at once, and on "run" it reports the first stage, so the page shows a run in
# progress (the real run from the keyboard: test_simulator.py::test_live_run_equals_the_native_run).
STUB_WORKER = """
self.onmessage = (e) => {
  const m = e.data;
  if (m.type === 'boot') self.postMessage({type: 'ready', numpy: {ok: true, version: 'stand-in'}, timings: {}});
  if (m.type === 'run') {
    self.postMessage({type: 'started', id: m.id, lab: {}});
    self.postMessage({type: 'progress', id: m.id, stage: 'pretrain', fraction: 0.5});
  }
};"""


def open_simulator(browser, site_url):
    context = browser.new_context()
    context.route("**/simulator/worker.mjs", lambda route: route.fulfill(
        status=200, body=STUB_WORKER, headers={"Content-Type": "text/javascript"}))

    def as_live_build(route):
        # A build without numpy never starts the worker; play the page of a live build instead.
        body = route.fetch().text().replace("&quot;mode&quot;:&quot;none&quot;", "&quot;mode&quot;:&quot;local&quot;")
        route.fulfill(status=200, body=body, content_type="text/html")

    context.route(re.compile(r".*/simulator\.html(\?.*)?$"), as_live_build)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(site_url + "simulator.html")
    page.wait_for_function("() => document.querySelector('.bc-simulator').dataset.mode === 'live'", timeout=30_000)
    return context, page


def tab_to(page, element_id: str, key: str = "Tab") -> int:
    for n in range(1, MAX_TABS):
        page.keyboard.press(key)
        if page.evaluate("document.activeElement.id") == element_id:
            return n
    raise AssertionError(f"{key} never reached #{element_id}")


def test_simulator_settings_changed_and_run_started_with_the_keyboard(browser, site_url):
    context, page = open_simulator(browser, site_url)
    start = page.evaluate("bookSimulator.values()")
    # A slider: arrow keys step through its values.
    tab_to(page, "sim-kl_coef")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    # The seed: typed in.
    tab_to(page, "sim-seed")
    page.keyboard.press("Control+A")
    page.keyboard.type("31")
    # Run: Tab onwards to it, Enter.
    tab_to(page, "sim-run")
    assert page.evaluate("!document.getElementById('sim-run').disabled")
    page.keyboard.press("Enter")
    page.wait_for_function("() => /Stage \\d+ of \\d+: pretraining/.test("
                           "document.getElementById('sim-progress-label').textContent)", timeout=10_000)
    sent = page.evaluate("bookSimulator.state.running.config")
    assert sent["kl_coef"] < start["kl_coef"], (sent, start)
    assert sent["seed"] == 31
    assert page.evaluate("document.getElementById('sim-run').disabled")
    # Cancel, also from the keyboard: it is the next control after Run.
    tab_to(page, "sim-cancel")
    page.keyboard.press("Enter")
    page.wait_for_function("() => (document.querySelector('.bc-simulator').dataset.lastEvent || '')"
                           ".includes('cancelled')",
                           timeout=10_000)
    assert page.evaluate("bookSimulator.state.running") is None
    # Shift+Tab walks back to the controls: nothing traps the focus.
    tab_to(page, "sim-seed", key="Shift+Tab")
    assert not page.errors, page.errors
    context.close()


def test_focus_is_visible_on_data_tables_and_simulator_controls(browser, site_url):
    """Keyboard users see where they are (WCAG 2.4.7): a focus outline on summaries and controls."""
    context, page = open_simulator(browser, site_url)
    for target in ["sim-kl_coef", "sim-run"]:
        tab_to(page, target)
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("none", ""), f"#{target}: no focus outline"
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if focused(page)["chart"]:
            break
    assert focused(page)["chart"], "no data-table summary reached"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") not in ("none", "")
    context.close()
