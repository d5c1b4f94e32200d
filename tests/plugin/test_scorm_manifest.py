"""Every SCORM 1.2 package `make scorm` writes, checked against the rules of the SCORM 1.2
content packaging schema that an LMS import enforces: identifiers, one organization and item,
one SCO resource, and a file list that matches the zip exactly. Also: the packaged page loads
nothing from outside its zip, cross-chapter links never point into the void, and the zips are
byte-identical from build to build.
"""

import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path, PurePosixPath

import pytest
from mkdocs.config import load_config

from build_charts import scorm
from tests.support import ROOT

NS = {"cp": "http://www.imsproject.org/xsd/imscp_rootv1p1p2", "adlcp": "http://www.adlnet.org/xsd/adlcp_rootv1p2"}
ADLCP = "{%s}" % NS["adlcp"]
# xs:ID is an NCName: a letter or "_" first, then letters, digits, ".", "-", "_" (no colon).
XS_ID = re.compile(r"^[^\W\d.-][\w.-]*$")


@pytest.fixture(scope="module")
def packages(built_site, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("scorm")
    assert scorm.main(["--site", str(built_site), "--out", str(out)]) == 0
    return {name: out / f"{name}.zip" for name in scorm.CHAPTERS}


def manifest_of(zf: zipfile.ZipFile) -> ET.Element:
    return ET.fromstring(zf.read("imsmanifest.xml"))


def test_every_chapter_of_the_package_list_is_in_the_nav():
    nav = str(load_config(str(ROOT / "mkdocs.yml"))["nav"])
    for name in scorm.CHAPTERS:
        assert f"'{name}.md'" in nav, f"{name}.md is packaged but not in the nav"


@pytest.mark.parametrize("name", scorm.CHAPTERS)
def test_manifest_follows_scorm_1_2(packages, name):
    with zipfile.ZipFile(packages[name]) as zf:
        root = manifest_of(zf)
        names = set(zf.namelist())
    assert root.tag == "{%s}manifest" % NS["cp"]
    assert root.findtext("cp:metadata/cp:schema", namespaces=NS) == "ADL SCORM"
    assert root.findtext("cp:metadata/cp:schemaversion", namespaces=NS) == "1.2"

    ids = [el.get("identifier") for el in root.iter() if el.get("identifier") is not None]
    assert len(ids) == len(set(ids)) == 4, f"identifiers must be unique: {ids}"
    assert all(XS_ID.match(i) for i in ids), f"not valid xs:ID: {[i for i in ids if not XS_ID.match(i)]}"

    orgs = root.find("cp:organizations", NS)
    organizations = orgs.findall("cp:organization", NS)
    assert len(organizations) == 1 and orgs.get("default") == organizations[0].get("identifier")
    items = organizations[0].findall("cp:item", NS)
    assert len(items) == 1 and items[0].findtext("cp:title", namespaces=NS).strip()
    resources = root.findall("cp:resources/cp:resource", NS)
    assert len(resources) == 1
    resource = resources[0]
    assert items[0].get("identifierref") == resource.get("identifier")
    assert resource.get("type") == "webcontent" and resource.get(ADLCP + "scormtype") == "sco"

    listed = [f.get("href") for f in resource.findall("cp:file", NS)]
    assert len(listed) == len(set(listed)), "a file is listed twice"
    assert resource.get("href") in listed and resource.get("href") in names
    assert set(listed) - names == set(), f"listed but not in the zip: {set(listed) - names}"
    assert names - set(listed) == {"imsmanifest.xml"}, f"in the zip but not listed: {names - set(listed)}"


@pytest.mark.parametrize("name", scorm.CHAPTERS)
def test_packaged_page_loads_only_files_of_its_zip(packages, name, tmp_path):
    with zipfile.ZipFile(packages[name]) as zf:
        zf.extractall(tmp_path)
        names = set(zf.namelist())
    index = (tmp_path / scorm.LAUNCH).read_text()
    # The collector the packager uses, run on the packaged page: it raises on a missing file.
    needed = set(scorm.assets_of(tmp_path, index))
    assert needed <= names
    assert scorm.ADAPTER_PATH in needed and f'data-pass-percent="{scorm.PASS_PERCENT}"' in index
    # Plotly is fetched by charts.js when a chart nears the screen: it must be in the package all the same.
    if 'class="bc-plot"' in index:
        assert "assets/vendor/plotly/plotly-cartesian.min.js" in names
    assert not re.search(r'\s(?:src|data)="(?:https?:)?//', index), "an element loads from another origin"
    assert not re.search(r'<link\b[^>]*href="(?:https?:)?//', index), "a <link> points at another origin"
    # Links either stay on the page or are plain text (no site_url in this build): none leads
    # to a file the package does not have.
    for href in re.findall(r'<a\b[^>]*\bhref="([^"]*)"', index):
        if href.startswith("#") or re.match(r"https?://", href):
            continue
        assert str(PurePosixPath(href.split("#")[0])) in names, f"{name}: link to {href} leaves the package"
    assert '<html lang="en" class="no-js embed">' in index


def test_links_to_other_chapters_point_to_the_hosted_book_when_it_has_a_url():
    page = ('<html lang="en" class="no-js"><head><link rel="canonical" href="https://example.org/book/sft.html">'
            '</head><body><a href="pretraining.html#loss">the loss</a> <a href="sft.html#top">up</a> '
            '<a href="#x">here</a></body></html>')
    base = scorm.hosted_base(page, "sft")
    assert base == "https://example.org/book/"
    out = scorm.rewrite_page(page, "sft", base)
    assert '<a href="https://example.org/book/pretraining.html#loss" target="_blank" rel="noopener">' in out
    assert '<a href="#top">up</a>' in out and '<a href="#x">here</a>' in out
    assert "canonical" not in out
    offline = scorm.rewrite_page(page, "sft", "")
    assert '<span class="bc-offline-link">the loss</span>' in offline


def test_zips_are_deterministic(packages, built_site, tmp_path):
    again = scorm.build_all(built_site, tmp_path)
    for path in again:
        assert path.read_bytes() == packages[path.stem].read_bytes(), f"{path.name} differs between builds"
    with zipfile.ZipFile(again[0]) as zf:
        infos = zf.infolist()
    assert infos[0].filename == "imsmanifest.xml"
    assert {i.date_time for i in infos} == {scorm.ZIP_DATE}
    assert [i.filename for i in infos[1:]] == sorted(i.filename for i in infos[1:])


def test_a_missing_site_is_a_clear_error(tmp_path, capsys):
    assert scorm.main(["--site", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 1
    assert "build the site first (`make book`)" in capsys.readouterr().err


def test_the_course_page_names_every_package_and_the_pass_mark():
    text = (ROOT / "docs" / "use-in-your-course.md").read_text()
    for name in scorm.CHAPTERS:
        assert f"`dist/scorm/{name}.zip`" in text, f"docs/use-in-your-course.md does not list {name}.zip"
    assert f"at least {scorm.PASS_PERCENT}**" in text
    assert '"llm-book:height"' in text and "?embed=1" in text
