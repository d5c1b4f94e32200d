"""Chart → HTML: validated Plotly JSON inlined in the page, with its data as a table.

The JSON sits in a ``data-figure`` attribute rather than in a fetched file or
an inline script: a page opened from disk can read an attribute (it cannot
fetch), and a Content-Security-Policy without 'unsafe-inline' still allows it.

Every chart also gets, under it, a collapsed ``<details>`` with its numbers as a
table: reachable with the keyboard (Tab to the summary, Enter opens it), read
by screen readers, printed, and the way to the data of slider positions (a
Plotly slider cannot be moved with the keyboard).
"""

import base64
import copy
import html
import json
import re

import numpy as np
import plotly.graph_objects as go

from .registry import Chart

# Shared look; colours that change with the light/dark toggle are set in
# assets/charts.js, so the JSON stays the same in both schemes.
BASE_LAYOUT = {
    "margin": {"l": 60, "r": 20, "t": 50, "b": 55},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13},
    "colorway": ["#3366cc", "#dc6b19", "#2ca02c", "#b23a8a", "#7f7f7f", "#17becf"],
    "legend": {"orientation": "h", "y": -0.2},
}

# ------------------------------------------------------------------ colour is never the only difference
# Styles handed out, in order, to traces that would otherwise differ from another trace of the
# same panel by colour alone (WCAG 1.4.1). A style the figure sets itself is never changed.
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "triangle-down", "star", "pentagon",
           "hexagon", "cross")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
PATTERNS = ("", "/", "x", ".", "\\", "-", "|", "+")
MARKERS_ON_LINES = 12   # markers drawn along a line that got a symbol only to tell it apart


def _visible(trace: dict) -> bool:
    return trace.get("visible", True) is True


def _style(trace: dict) -> tuple:
    """What, besides colour, tells this trace apart from the others of its panel."""
    if trace.get("type", "scatter") == "bar":
        return ("bar", (trace.get("marker", {}).get("pattern") or {}).get("shape", ""))
    mode = trace.get("mode", "lines+markers")
    lines = (trace.get("line", {}).get("dash", "solid") if "lines" in mode else None)
    markers = (trace.get("marker", {}).get("symbol", "circle") if "markers" in mode else None)
    return (trace.get("type", "scatter"), lines, markers, trace.get("fill"))


def distinguish(data: list[dict]) -> list[dict]:
    """Copies of the traces where no two visible traces of a panel share a style: the second of a
    pair gets an unused marker symbol (markers, or lines with their dash set), an unused dash
    (plain lines) or an unused fill pattern (bars). Deterministic: order and choices follow the data."""
    out = copy.deepcopy(list(data))
    panels: dict[tuple, list[dict]] = {}
    for t in out:
        if _visible(t) and t.get("type", "scatter") in ("scatter", "bar"):
            panels.setdefault((t.get("xaxis", "x"), t.get("yaxis", "y")), []).append(t)
    for traces in panels.values():
        # Plotly's defaults count as used: circle markers, solid lines, unpatterned bars.
        used_symbols = {t.get("marker", {}).get("symbol", "circle") for t in traces}
        used_dashes = {t.get("line", {}).get("dash", "solid") for t in traces}
        used_patterns = {(t.get("marker", {}).get("pattern") or {}).get("shape", "") for t in traces}
        seen = set()
        for t in traces:
            style = _style(t)
            if style in seen:
                if t.get("type") == "bar":
                    shape = next((p for p in PATTERNS if p not in used_patterns), None)
                    if shape is not None:
                        used_patterns.add(shape)
                        t.setdefault("marker", {})["pattern"] = {"shape": shape, "fillmode": "overlay",
                                                                 "fgopacity": 0.55, "size": 7}
                else:
                    mode = t.get("mode", "lines+markers")
                    dash_is_free = "lines" in mode and "dash" not in t.get("line", {})
                    if dash_is_free and "markers" not in mode:
                        dash = next((d for d in DASHES if d not in used_dashes), None)
                        if dash is not None:
                            used_dashes.add(dash)
                            t.setdefault("line", {})["dash"] = dash
                    elif "symbol" not in t.get("marker", {}):
                        symbol = next((s for s in SYMBOLS if s not in used_symbols), None)
                        if symbol is not None:
                            used_symbols.add(symbol)
                            marker = t.setdefault("marker", {})
                            marker["symbol"] = symbol
                            if "markers" not in mode:
                                t["mode"] = mode + "+markers"
                                marker["maxdisplayed"] = MARKERS_ON_LINES
                style = _style(t)
            seen.add(style)
    return out


def figure_dict(chart: Chart) -> dict:
    """The figure as shipped: shared layout, traces told apart without colour, validated by Plotly."""
    fig = dict(chart.figure)
    fig["layout"] = {**BASE_LAYOUT, **fig.get("layout", {})}
    fig["data"] = distinguish(fig.get("data", []))
    validated = go.Figure(fig).to_plotly_json()
    # go.Figure adds the default template (~7 kB a chart); ship only what we set.
    validated["layout"].pop("template", None)
    return validated


def figure_json(chart: Chart) -> str:
    """Validate the figure against Plotly's schema and serialise it deterministically."""
    return json.dumps(figure_dict(chart), sort_keys=True, separators=(",", ":"), allow_nan=False)


# ------------------------------------------------------------------------------------------- data table
TAGS = re.compile(r"<[^>]+>")


def plain(text) -> str:
    """Plotly rich text (``<br>``, ``<sub>``) as one line of plain text."""
    return " ".join(TAGS.sub(" ", str(text or "")).split())


def number(v) -> str:
    """A value as the table shows it: integers with separators, 4 significant digits otherwise."""
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    if isinstance(v, bool) or isinstance(v, str):
        return str(v)
    v = float(v)
    if v.is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    if 1e-3 <= abs(v) < 1e6:
        return f"{v:.4g}"
    mantissa, exponent = f"{v:.3e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _array(values) -> list:
    """Plotly array data as a list (plain list, numpy array or {"dtype", "bdata"} typed array)."""
    if values is None:
        return []
    if isinstance(values, dict) and "bdata" in values:
        arr = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
        return arr.reshape(values["shape"]).tolist() if "shape" in values else arr.tolist()
    if isinstance(values, np.ndarray):
        return values.tolist()
    values = list(values)
    # A multi-category axis ([[group, ...], [item, ...]]): one label per point.
    if values and all(isinstance(v, (list, tuple)) for v in values):
        return [" · ".join(map(str, labels)) for labels in zip(*values)]
    return values


def _points(trace: dict) -> list[tuple]:
    x, y = _array(trace.get("x")), _array(trace.get("y"))
    if not x and not y:
        return []
    if not x:
        x = list(range(len(y)))
    if not y:
        y = list(range(len(x)))
    return list(zip(x, y))


def _axis_title(layout: dict, axis_id: str, fallback: str) -> str:
    """The axis title; for an untitled axis, that of an axis it is matched with (panels sharing one)."""
    def title(key):
        return plain((layout.get(key, {}).get("title") or {}).get("text"))

    key = axis_id[0] + "axis" + axis_id[1:]
    group = layout.get(key, {}).get("matches") or axis_id
    mates = [k for k in sorted(layout) if re.fullmatch(rf"{axis_id[0]}axis\d*", k)
             and (layout[k].get("matches") == group or k == group[0] + "axis" + group[1:])]
    return title(key) or next((title(k) for k in mates if title(k)), "") or fallback


def _table(caption: str, head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    # data-bc: its scrolling box already takes focus (keyboard_scrollable leaves it alone).
    return f"<table data-bc=\"data\"><caption>{html.escape(caption)}</caption><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _tables(data: list[dict], layout: dict, caption: str) -> list[str]:
    """Tables of one state of the chart: one per panel; wide (one column per trace) when the traces
    of the panel share their x values, else long (a row per point, the trace named in each row)."""
    panels: dict[tuple, list[tuple[str, list]]] = {}
    skipped = []
    for i, t in enumerate(data):
        name = plain(t.get("name")) or f"trace {i + 1}"
        if t.get("type", "scatter") == "heatmap":
            skipped.append(f"{name} (a heatmap)")
            continue
        points = _points(t)
        if points:
            axes = (t.get("xaxis", "x"), t.get("yaxis", "y"))
            horizontal = t.get("orientation") == "h"
            panels.setdefault(axes, []).append((name, [(b, a) for a, b in points] if horizontal else points,
                                                horizontal))
    tables = []
    for n, ((xa, ya), series) in enumerate(panels.items()):
        horizontal = all(h for _, _, h in series)
        xt, yt = _axis_title(layout, xa, "x"), _axis_title(layout, ya, "value")
        if horizontal:
            xt, yt = yt, xt
        cap = caption if len(panels) == 1 else f"{caption} — panel {n + 1}: {yt} against {xt}"
        keys = [[p[0] for p in pts] for _, pts, _ in series]
        if all(k == keys[0] for k in keys):
            head = [xt] + [f"{name}: {yt}" if len(series) > 1 and yt != "value" else name for name, _, _ in series]
            rows = [[number(keys[0][r])] + [number(pts[r][1]) for _, pts, _ in series] for r in range(len(keys[0]))]
        else:
            head = ["series", xt, yt]
            rows = [[name, number(a), number(b)] for name, pts, _ in series for a, b in pts]
        tables.append(_table(cap, head, rows))
    if skipped:
        tables.append(f"<p>Not tabled: {html.escape(', '.join(skipped))}.</p>")
    return tables


def _restyled(data: list[dict], step: dict) -> list[dict] | None:
    """The traces after a slider step's restyle, or None if the step changes no x/y (emphasis only)."""
    if step.get("method") != "restyle" or not step.get("args"):
        return None
    update = step["args"][0]
    indices = step["args"][1] if len(step["args"]) > 1 and step["args"][1] is not None else range(len(data))
    if not any(k in update for k in ("x", "y")):
        return None
    out = [dict(t) for t in data]
    for key in ("x", "y"):
        if key in update:
            for j, i in enumerate(indices):
                values = update[key]
                out[i][key] = values[j % len(values)]
    return out


def _is_prefix(short: list[dict], full: list[dict]) -> bool:
    """Whether every series of ``short`` starts ``full``'s; two-point series (reference lines drawn
    across the shown range) may differ."""
    for a, b in zip(short, full):
        pa, pb = _points(a), _points(b)
        if pa != pb[:len(pa)] and not (len(pa) <= 2 and len(pb) <= 2):
            return False
    return True


def data_table_html(fig: dict, title: str) -> str:
    """The figure's numbers as HTML tables, covering every slider position and animation frame."""
    data, layout = fig.get("data", []), fig.get("layout", {})
    notes, states = [], []
    for slider in layout.get("sliders", []):
        label = plain((slider.get("currentvalue") or {}).get("prefix", "")).rstrip(": ") or "slider"
        steps = [(s, _restyled(data, s)) for s in slider.get("steps", [])]
        changing = [(s, d) for s, d in steps if d is not None]
        if not changing:
            notes.append(f"The slider “{label}” changes only which series stand out; the values are the same.")
            continue
        longest = max(changing, key=lambda sd: sum(len(_points(t)) for t in sd[1]))
        if all(_is_prefix(d, longest[1]) for _, d in changing):
            notes.append(f"Each position of the slider “{label}” shows the first part of these series; the table "
                         f"holds its last position ({plain(longest[0].get('label'))}), which contains them all.")
            states.append((f"{title} ({label}: {plain(longest[0].get('label'))})", longest[1]))
        else:
            notes.append(f"One table per position of the slider “{label}”.")
            states += [(f"{title} ({label}: {plain(s.get('label'))})", d) for s, d in changing]
    for frame in fig.get("frames", []) or []:
        if frame.get("data"):
            states.append((f"{title} (frame {plain(frame.get('name'))})", frame["data"]))
    if not states:
        states = [(title, data)]
    hidden = [plain(t.get("name")) for t in data if not _visible(t)]
    if hidden:
        notes.append("Includes series hidden at first: " + ", ".join(hidden) + ".")
    tables = [t for caption, d in states for t in _tables(d, layout, caption)]
    return "".join(f"<p>{html.escape(n)}</p>" for n in notes) + "".join(tables)


def chart_html(chart_id: str, chart: Chart) -> str:
    fig = figure_dict(chart)
    encoded = json.dumps(fig, sort_keys=True, separators=(",", ":"), allow_nan=False)
    title = plain((fig["layout"].get("title") or {}).get("text")) or chart_id
    return (
        f'<figure class="bc-chart">'
        f'<div class="bc-plot" id="chart-{html.escape(chart_id, quote=True)}" '
        # role="figure", not "img": Plotly's mode bar puts buttons inside, and an img has no children.
        f'data-chart="{html.escape(chart_id, quote=True)}" role="figure" '
        f'aria-label="{html.escape(chart.alt, quote=True)}" '
        f'data-figure="{html.escape(encoded, quote=True)}"></div>'
        # Search skips the numbers: a query should find the chart's page, not hundreds of table cells.
        f'<details class="bc-data" data-search-exclude><summary>Data table: {html.escape(title)}</summary>'
        # A long table scrolls in its own box, which takes focus so the keyboard can scroll it too.
        f'<div class="bc-data-scroll" tabindex="0" role="region" aria-label="Data table: {html.escape(title, quote=True)}">'
        f"{data_table_html(fig, title)}</div></details>"
        f"</figure>"
    )


# ------------------------------------------------------------------------------- wide tables and formulas
def keyboard_scrollable(content: str) -> str:
    """Let the keyboard reach what may scroll sideways (WCAG 2.1.1): a table wider than the column
    scrolls in Material's wrapper, a long display formula or line of code in its own box; a focusable
    table, formula or code block can be scrolled with the arrow keys. Applies to a page's content HTML."""
    content = content.replace("<table>", '<table tabindex="0">')
    # A code block: Material makes a wide one focusable when it sets it up, which content.lazy (mkdocs.yml)
    # delays until it is seen; a keyboard reader must be able to reach it before that.
    content = content.replace("<pre><span></span><code>", '<pre><span></span><code tabindex="0">')
    content = content.replace('<div class="highlight-ipynb', '<div tabindex="0" class="highlight-ipynb')  # notebook code
    return content.replace('<div class="arithmatex">', '<div class="arithmatex" tabindex="0">')


def label_search_dialog(page_html: str) -> str:
    """Give Material's search dialog an accessible name (WCAG 4.1.2; axe's aria-dialog-name): its partial has
    role="dialog" and no label. Applies to a whole page."""
    return page_html.replace('data-md-component="search" role="dialog">',
                             'data-md-component="search" role="dialog" aria-label="Search">', 1)
