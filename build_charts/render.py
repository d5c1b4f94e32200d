"""Chart → HTML: validated Plotly JSON inlined in the page.

The JSON sits in a ``data-figure`` attribute rather than in a fetched file or
an inline script: a page opened from disk can read an attribute (it cannot
fetch), and a Content-Security-Policy without 'unsafe-inline' still allows it.
"""

import html
import json

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


def figure_json(chart: Chart) -> str:
    """Validate the figure against Plotly's schema and serialise it deterministically."""
    fig = dict(chart.figure)
    fig["layout"] = {**BASE_LAYOUT, **fig.get("layout", {})}
    validated = go.Figure(fig).to_plotly_json()
    # go.Figure adds the default template (~7 kB a chart); ship only what we set.
    validated["layout"].pop("template", None)
    return json.dumps(validated, sort_keys=True, separators=(",", ":"), allow_nan=False)


def chart_html(chart_id: str, chart: Chart) -> str:
    return (
        f'<figure class="bc-chart">'
        f'<div class="bc-plot" id="chart-{html.escape(chart_id, quote=True)}" '
        f'data-chart="{html.escape(chart_id, quote=True)}" role="img" '
        f'aria-label="{html.escape(chart.alt, quote=True)}" '
        f'data-figure="{html.escape(figure_json(chart), quote=True)}"></div>'
        f"</figure>"
    )
