"""SCORM 1.2 packages, one per chapter, made from the built site (``make scorm``).

Each package is a zip an LMS imports as one activity (a "SCO"):

- ``index.html``: the chapter page from ``site/``, in its embed view (no site header, navigation
  or footer; ``<html class="embed">`` is written in, so there is no flash of them);
- exactly the files that page loads: its stylesheets and scripts, what those stylesheets load
  (KaTeX's fonts), the theme's search worker, and ``scorm.js``, which reports the chapter's quiz
  to the LMS (build_charts/assets/scorm.js says what it sends);
- ``imsmanifest.xml``: one organization with one item, launching one ``webcontent`` resource of
  ``adlcp:scormtype="sco"`` that lists every file of the zip.

Nothing is fetched from elsewhere. A link to another chapter cannot work inside the package: it
becomes a link to the hosted book, opened in a new tab, when the site was built with ``site_url``
(its canonical link says where it is hosted), or plain text otherwise.

The zips are deterministic: same site in, same bytes out (sorted entries, fixed dates and modes).

    python -m build_charts.scorm --site site --out dist/scorm
"""

import argparse
import html
import io
import re
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

# The chapters of the book that end with a quiz, by page name (docs/<name>.md → site/<name>.html).
CHAPTERS = ("pretraining", "sft", "reward-modeling", "rlhf-ppo", "dpo", "pharma-applications", "challenges")
# A learner who answers every question passes with at least this share right; below it the
# chapter is "completed" (they can reset the quiz and try again; the LMS keeps the best attempt).
PASS_PERCENT = 80
ADAPTER = Path(__file__).parent / "assets" / "scorm.js"
ADAPTER_PATH = "assets/vendor/build-charts/scorm.js"
LAUNCH = "index.html"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)   # the earliest date a zip can hold: builds are byte-identical

CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")
LINK = re.compile(r"<a\b([^>]*?)\bhref=\"([^\"]*)\"([^>]*)>(.*?)</a>", re.S)
NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")   # xs:ID / xs:NCName, ASCII subset


class _Refs(HTMLParser):
    """Every URL the page itself loads (not links a reader may follow)."""

    LOADED = {("script", "src"), ("img", "src"), ("source", "src"), ("video", "src"), ("video", "poster"),
              ("audio", "src"), ("track", "src"), ("iframe", "src"), ("embed", "src"), ("object", "data"),
              ("image", "href"), ("use", "href"), ("input", "src"),
              ("script", "data-loads")}   # a file the script fetches when needed (build_charts/assets.py)
    LINK_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "modulepreload", "manifest"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for (t, name) in self.LOADED:
            if t == tag and a.get(name):
                self.urls.append(a[name])
        if tag == "link" and a.get("href") and set((a.get("rel") or "").lower().split()) & self.LINK_RELS:
            self.urls.append(a["href"])
        if a.get("style"):
            self.urls += [m.group(2) or m.group(4) for m in CSS_URL.finditer(a["style"])]


def _local(url: str, base: PurePosixPath) -> str | None:
    """``url`` as a path inside the site, resolved against the folder ``base``; None if it is not local."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path or url.startswith("#"):
        return None
    path = PurePosixPath(base, unquote(parts.path))
    resolved: list[str] = []
    for part in path.parts:
        if part == "..":
            if not resolved:
                raise ValueError(f"{url!r} points outside the site")
            resolved.pop()
        elif part not in (".", ""):
            resolved.append(part)
    return "/".join(resolved)


def assets_of(site: Path, page_html: str) -> list[str]:
    """Site paths of every file the page needs, with what its stylesheets load, sorted."""
    parser = _Refs()
    parser.feed(page_html)
    todo = [p for p in (_local(u, PurePosixPath(".")) for u in parser.urls) if p]
    # The theme starts its search worker from the page's config, even with search hidden.
    config = re.search(r'<script id="__config" type="application/json">(.*?)</script>', page_html, re.S)
    worker = re.search(r'"search":\s*"([^"]+)"', config.group(1)) if config else None
    if worker:
        todo.append(worker.group(1))
    found: set[str] = set()
    while todo:
        path = todo.pop()
        if path in found:
            continue
        if not (site / path).is_file():
            raise FileNotFoundError(f"the page loads {path!r}, which is not in {site}")
        found.add(path)
        if path.endswith(".css"):
            css = (site / path).read_text(encoding="utf-8")
            for m in CSS_URL.finditer(css):
                ref = _local(m.group(2) or m.group(4), PurePosixPath(path).parent)
                # KaTeX's CSS also names .woff/.ttf copies of each font; the site ships only the
                # .woff2 files, which every supported browser takes first.
                if ref and (site / ref).is_file():
                    todo.append(ref)
    return sorted(found)


def hosted_base(page_html: str, page_name: str) -> str:
    """The hosted book's base URL from the page's canonical link ("" when built without site_url)."""
    m = re.search(r'<link rel="canonical" href="([^"]+)"', page_html)
    if not m or not m.group(1).endswith(f"{page_name}.html"):
        return ""
    return m.group(1)[: -len(f"{page_name}.html")]


def title_of(page_html: str) -> str:
    m = re.search(r"<h1[^>]*>(.*?)</h1>", page_html, re.S)
    if not m:
        raise ValueError("the page has no <h1> to title the package with")
    text = re.sub(r'<a class="headerlink".*?</a>', "", m.group(1), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


def rewrite_page(page_html: str, page_name: str, book_url: str) -> str:
    """The chapter as the package's index.html: embed view, links that stay inside the package."""
    out = page_html.replace('<html lang="en" class="no-js">', '<html lang="en" class="no-js embed">', 1)
    if out == page_html:
        out = re.sub(r"<html\b", '<html class="embed"', page_html, count=1)
    # The header's content (the search form, whose index is not packaged) and the footer (links
    # to the previous and next chapters) go; the theme's scripts need the header element itself,
    # and the hidden sidebars.
    out = re.sub(r'(<header class="md-header[^"]*"[^>]*>).*?</header>', r"\1</header>", out, count=1, flags=re.S)
    out = re.sub(r'<footer class="md-footer[^"]*".*?</footer>', "", out, count=1, flags=re.S)
    out = re.sub(r'<link rel="(?:prev|next|canonical)" href="[^"]*">\s*', "", out)

    def link(m):
        before, href, after, text = m.groups()
        parts = urlsplit(html.unescape(href))
        if parts.scheme or parts.netloc or href.startswith("#"):
            return m.group(0)                       # another site, or a place on this page
        if parts.path in ("", f"{page_name}.html"):
            return f'<a{before}href="#{parts.fragment}"{after}>{text}</a>' if parts.fragment else \
                   f'<a{before}href="{LAUNCH}"{after}>{text}</a>'
        if book_url:                                # another page: the hosted book, in a new tab
            return (f'<a{before}href="{html.escape(book_url + href)}" target="_blank" '
                    f'rel="noopener"{after}>{text}</a>')
        return f'<span class="bc-offline-link">{text}</span>'

    out = LINK.sub(link, out)
    tag = f'<script defer src="{ADAPTER_PATH}" data-pass-percent="{PASS_PERCENT}"></script>'
    return out.replace("</head>", tag + "</head>", 1)


def manifest(name: str, title: str, files: list[str]) -> str:
    ident = re.sub(r"[^A-Za-z0-9._-]", "-", name)
    ids = {k: f"{k}-{ident}" for k in ("book", "org", "item", "res")}
    assert all(NCNAME.match(v) for v in ids.values()), ids
    t = html.escape(title)
    file_tags = "\n".join(f'      <file href="{html.escape(f)}"/>' for f in files)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="{ids['book']}" version="1.0"
    xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>1.2</schemaversion>
  </metadata>
  <organizations default="{ids['org']}">
    <organization identifier="{ids['org']}">
      <title>{t}</title>
      <item identifier="{ids['item']}" identifierref="{ids['res']}" isvisible="true">
        <title>{t}</title>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="{ids['res']}" type="webcontent" adlcp:scormtype="sco" href="{LAUNCH}">
{file_tags}
    </resource>
  </resources>
</manifest>
"""


def package(site: Path, name: str) -> bytes:
    """The SCORM 1.2 zip of one chapter of the built ``site``."""
    source = site / f"{name}.html"
    if not source.is_file():
        raise FileNotFoundError(f"{source} is missing: build the site first (`make book`)")
    page_html = source.read_text(encoding="utf-8")
    contents = {LAUNCH: rewrite_page(page_html, name, hosted_base(page_html, name)).encode(),
                ADAPTER_PATH: ADAPTER.read_bytes()}
    for path in assets_of(site, page_html):
        contents.setdefault(path, (site / path).read_bytes())
    files = sorted(contents)
    contents["imsmanifest.xml"] = manifest(name, title_of(page_html), files).encode()

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for path in ["imsmanifest.xml", *files]:     # the manifest first, as LMSs expect
            info = zipfile.ZipInfo(path, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3                   # Unix, so the mode below is read the same everywhere
            info.external_attr = 0o644 << 16
            zf.writestr(info, contents[path], compresslevel=9)
    return buffer.getvalue()


def build_all(site: Path, out: Path, chapters=CHAPTERS) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in chapters:
        target = out / f"{name}.zip"
        target.write_bytes(package(site, name))
        written.append(target)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Write one SCORM 1.2 package per chapter of the built site.")
    parser.add_argument("--site", type=Path, default=Path("site"), help="the built site (default: site)")
    parser.add_argument("--out", type=Path, default=Path("dist/scorm"), help="where the zips go")
    args = parser.parse_args(argv)
    try:
        written = build_all(args.site, args.out)
    except (FileNotFoundError, ValueError) as err:
        print(f"make scorm: {err}", file=sys.stderr)
        return 1
    for path in written:
        print(f"{path}  ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
