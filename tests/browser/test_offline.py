"""The offline copy (`make offline`): built and zipped by the same code, unzipped, read from file:// in Chromium."""

import os
import re
import zipfile

import pytest

from build_charts import offline, scorm
from tests.docs.test_quizzes import load
from tests.support import ROOT, draw_every_chart

pytestmark = pytest.mark.browser

CHAPTERS = ["index", *scorm.CHAPTERS]


@pytest.fixture(scope="module")
def offline_zip(tmp_path_factory):
    return offline.build_offline_zip(tmp_path_factory.mktemp("dist") / "llm-training-book-offline.zip")


@pytest.fixture(scope="module")
def book(offline_zip, tmp_path_factory):
    target = tmp_path_factory.mktemp("unzipped")
    with zipfile.ZipFile(offline_zip) as archive:
        archive.extractall(target)
    return target / offline.TOP


@pytest.fixture
def context(browser):
    ctx = browser.new_context()
    ctx.requests = []
    ctx.on("request", lambda r: ctx.requests.append(r.url))
    yield ctx
    only_local = [u for u in ctx.requests if not u.startswith(("file:", "data:", "about:"))]
    ctx.close()
    assert not only_local, f"requests other than file:/data: {only_local}"


def open_page(context, path):
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    return page


def test_zip_is_deterministic_and_sorted(offline_zip, book, tmp_path):
    with zipfile.ZipFile(offline_zip) as archive:
        infos = archive.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names) and all(n.startswith(offline.TOP + "/") for n in names)
    assert {i.date_time for i in infos} == {offline.ZIP_TIME}
    assert f"{offline.TOP}/index.html" in names and f"{offline.TOP}/search/search_index.js" in names
    # The same tree zipped again, with every file's timestamp changed, gives the same bytes.
    for path in book.rglob("*"):
        if path.is_file():
            os.utime(path, (1_700_000_000, 1_700_000_000))
    again = tmp_path / "again.zip"
    offline.write_zip(book, again)
    assert again.read_bytes() == offline_zip.read_bytes()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_reads_from_disk(context, book, chapter):
    page = open_page(context, book / f"{chapter}.html")
    text = page.inner_text("article")
    assert len(text) > 200, f"{chapter}: the article is nearly empty"
    plots = page.locator(".bc-plot").count()
    if plots:
        draw_every_chart(page, timeout=60_000)
        assert page.locator(".bc-plot .main-svg").count() >= plots
    math = page.locator(".arithmatex").count()
    if math:
        page.wait_for_function("() => document.querySelectorAll('.arithmatex .katex').length > 0")
        unrendered = page.evaluate("""() => [...document.querySelectorAll('.arithmatex')]
            .filter(el => !el.querySelector('.katex')).length""")
        assert unrendered == 0
    source = (ROOT / "docs" / f"{chapter}.md").read_text()
    if chapter != "index":   # every chapter has charts and math (the home page has no chart)
        assert plots and math, f"{chapter}: {plots} charts, {math} formulas"
    if '--8<-- "diagrams/' in source:
        assert page.locator(".bc-diagram svg").first.bounding_box()["height"] > 0
    if f'--8<-- "quizzes/{chapter}.md"' in source:
        page.wait_for_selector("section.bc-quiz .bc-quiz-reset:not([hidden])")
    assert not page.errors, page.errors


def test_quiz_works_from_disk(context, book):
    page = open_page(context, book / "pretraining.html")
    first = load("pretraining")["questions"][0]
    page.wait_for_selector("section.bc-quiz .bc-quiz-reset:not([hidden])")
    sel = f"form[data-question='{first['id']}']"
    page.check(f"{sel} input[value='{first['answer']}']")
    page.click(f"{sel} .bc-quiz-check")
    assert page.inner_text(f"{sel} .bc-quiz-verdict") == "Correct."
    page.reload()
    page.wait_for_selector("section.bc-quiz .bc-quiz-reset:not([hidden])")
    assert page.is_checked(f"{sel} input[value='{first['answer']}']")   # saved in localStorage on file://


def test_search_finds_a_chapter(context, book):
    page = open_page(context, book / "index.html")
    page.fill("input.md-search__input", "warfarin")
    page.wait_for_selector(".md-search-result__item", timeout=30_000)
    hits = page.eval_on_selector_all(".md-search-result__item a", "els => els.map(e => e.getAttribute('href'))")
    assert any(re.search(r"(pretraining|sft)\.html", h) for h in hits), hits
    assert "search_index.js" in " ".join(context.requests)
    assert not page.errors, page.errors


def test_simulator_explains_http_and_shows_precomputed_results(context, book):
    page = open_page(context, book / "simulator.html")
    page.wait_for_function(
        "() => ['precomputed', 'live'].includes(document.querySelector('.bc-simulator').dataset.mode)",
        timeout=60_000)
    assert page.evaluate("document.querySelector('.bc-simulator').dataset.mode") == "precomputed"
    source = page.inner_text("#sim-source")
    assert "opened from disk (file://)" in source and "python -m http.server" in source
    draw_every_chart(page, timeout=60_000)
    assert page.evaluate("document.querySelector('.bc-simulator').dataset.shown") == "precomputed"
    assert re.fullmatch(r"\d+\.\d%", page.inner_text("#sim-final_accuracy"))
    assert not any("pyodide" in u for u in context.requests)   # no worker started on file://
    assert not page.errors, page.errors
