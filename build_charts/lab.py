"""Lab text: numbers and tables from ``simulator_wasm``, written into the prose at build time.

A number a reader sees in a sentence must come from the lab (or a cited source), never be typed in by hand
from a run. A page asks for one with a **lab marker**, inline or as a block:

    the vocabulary has `#!lab pretraining-vocab-size` words            (inline: pymdownx.inlinehilite)

    ```lab
    sft-before-after
    ```                                                              (block: pymdownx.superfences)

A **text function** registered with ``@lab_text("id")`` returns the HTML that replaces the marker: escaped plain
text for an inline marker, usually a table (``html_table``) for a block. As with charts, the formatters only
leave a placeholder; the plugin fills it in ``on_page_content`` (``fill``), where the page is known, so an unknown
id stops the build naming the page, the id and the known ids.
"""

import html
import re
from functools import cache
from typing import Callable

from mkdocs.exceptions import PluginError

PLACEHOLDER_CLASS = "bc-lab-marker"
MARKER = re.compile(rf'<(span|div) class="{PLACEHOLDER_CLASS}" data-lab="([^"]*)"></\1>')

_TEXTS: dict[str, Callable[[], str]] = {}


def lab_text(text_id: str):
    """Register the decorated function (no arguments, returns HTML) as the text of ``text_id``."""
    def register(fn: Callable[[], str]) -> Callable[[], str]:
        if text_id in _TEXTS:
            raise ValueError(f"lab text id {text_id!r} is registered twice "
                             f"({_TEXTS[text_id].__module__} and {fn.__module__})")
        _TEXTS[text_id] = fn
        return fn
    return register


def known_ids() -> list[str]:
    return sorted(_TEXTS)


@cache  # a text named twice is computed once per build
def build(text_id: str) -> str:
    out = _TEXTS[text_id]()
    if not isinstance(out, str) or not out.strip():
        raise ValueError(f"lab text {text_id!r} returned {out!r}: a text function must return non-empty HTML")
    return out


def _placeholder(tag: str, text_id: str) -> str:
    return f'<{tag} class="{PLACEHOLDER_CLASS}" data-lab="{html.escape(text_id.strip(), quote=True)}"></{tag}>'


def format_block(source, language, css_class, options, md, **kwargs) -> str:
    """pymdownx.superfences formatter of the ```lab fence: a placeholder the plugin fills."""
    return _placeholder("div", source)


def format_inline(src="", language="", class_name=None, md=None, **kwargs) -> str:
    """pymdownx.inlinehilite formatter of `#!lab id`: a placeholder the plugin fills."""
    return _placeholder("span", src)


def fill(page_html: str, page: str) -> str:
    """Replace every lab placeholder of ``page_html``; an unknown id raises PluginError naming ``page``."""
    def replace(match):
        tag, text_id = match.groups()
        if text_id not in _TEXTS:
            raise PluginError(
                f"build_charts: page '{page}' has a lab marker naming unknown lab text '{text_id}'. "
                f"Known lab texts: {', '.join(known_ids())}. Fix the id, or register a text function "
                f"with @lab_text in build_charts/figures/.")
        return f'<{tag} class="bc-lab">{build(text_id)}</{tag}>'
    return MARKER.sub(replace, page_html)


# ------------------------------------------------------------------------------------------------ helpers
def esc(value) -> str:
    return html.escape(str(value), quote=True)


def html_table(headers: list[str], rows: list[list], caption: str = "") -> str:
    """A plain HTML table (Material styles it like a Markdown table); every cell is escaped text."""
    if not all(str(h).strip() for h in headers):
        # A screen reader names a cell by its column's header (axe: td-has-header); a blank one names nothing.
        raise ValueError(f"html_table: every column needs a header, got {headers!r}")
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def words(tokens) -> str:
    """A lab answer (word list or string) as readers see it, special tokens included (they are part of it)."""
    return tokens if isinstance(tokens, str) else " ".join(tokens)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def sci(x: float, digits: int = 3) -> str:
    """5.76e23 → "5.76 × 10²³" (``digits`` significant digits)."""
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
    return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"
