"""The simulator's controls, status and results, rendered into the page at build time.

Everything the browser needs travels in two data attributes of ``.bc-simulator`` (an attribute
is readable from file:// and survives a strict CSP): ``data-simulator`` (controls, URLs, numpy
source, time limit) and ``data-precomputed`` (the build-time results grid and reference runs).
The HTML works before any script runs: each control is a labelled native input with its range,
unit and one-line explanation.
"""

import html
import json
import math

from simulator_wasm.controls import CONTROLS, controls_list

MARKER = '<div class="bc-simulator"></div>'
STAGES = (("pretrain", "Pretraining"), ("sft", "Supervised fine-tuning"), ("ppo", "RLHF (PPO)"),
          ("all", "Reproducibility"))
METRICS = (("final_accuracy", "Final accuracy"), ("safety_score", "Safety score"),
           ("stability", "Stability"), ("inference_speed", "Inference speed"))
NICE = (1, 1.5, 2, 3, 5, 7)  # mantissas of the steps of a log-scale slider


def slider_steps(control) -> list[float] | None:
    """The values a slider stops at: 1-1.5-2-3-5-7 per decade on a log scale, every integer on a
    linear one; None for the seed, which is typed in."""
    if control.name == "seed":
        return None
    lo, hi = control.minimum, control.maximum
    if control.scale == "log":
        steps = []
        for exp in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
            for m in NICE:
                v = float(f"{m * 10.0 ** exp:.3g}")
                if lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9):
                    steps.append(v)
        if float(control.default) not in steps:
            steps = sorted(steps + [float(control.default)])
    else:
        steps = list(range(int(lo), int(hi) + 1))
    return [int(v) if control.kind == "int" else v for v in steps]


def controls_data() -> list[dict]:
    rows = controls_list()
    for row, control in zip(rows, CONTROLS):
        row["steps"] = slider_steps(control)
    return rows


def _attr(value) -> str:
    return html.escape(json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False), quote=True)


def fmt(c: dict, v) -> str:
    """A control's value as readers see it (simulator.js has the same rules): 10B, 2e-5, 10,000, 0.05."""
    if c["unit"] == "tokens":
        return f"{v / 1e9:g}B"
    if v and abs(v) < 1e-3:
        mantissa, exponent = f"{v:.2e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    if c["kind"] == "int":
        return f"{int(v):,}"
    return f"{v:.3g}"


def with_unit(c: dict, v) -> str:
    unit = c["unit"]
    if v == 1 and unit.endswith("s"):   # 1 pass, 1 iteration
        unit = unit[:-2] if unit.endswith("sses") else unit[:-1]
    return fmt(c, v) + (f" {unit}" if unit else "")


def _control_html(c: dict) -> str:
    cid = f"sim-{c['name']}"
    rng = f"{fmt(c, c['minimum'])}–{with_unit(c, c['maximum'])}"
    help_text = f"{c['help']} Range {rng}; default {fmt(c, c['default'])}."
    if c["steps"] is None:
        field = (f'<input type="number" id="{cid}" name="{c["name"]}" min="{c["minimum"]}" max="{c["maximum"]}" '
                 f'step="1" value="{c["default"]}" inputmode="numeric" aria-describedby="{cid}-help">')
    else:
        index = c["steps"].index(c["default"])
        field = (f'<input type="range" id="{cid}" name="{c["name"]}" min="0" max="{len(c["steps"]) - 1}" step="1" '
                 f'value="{index}" aria-describedby="{cid}-help">'
                 f'<output id="{cid}-value" for="{cid}">{html.escape(with_unit(c, c["default"]))}</output>')
    return (f'<div class="bc-sim-control" data-control="{c["name"]}">'
            f'<label for="{cid}">{html.escape(c["label"])}</label>{field}'
            f'<p class="bc-sim-help" id="{cid}-help">{html.escape(help_text)}</p></div>')


def _mapping_html(mapping) -> str:
    rows = "".join(
        f'<tr><td><code>{html.escape(r["control"])}</code></td><td><code>{html.escape(r["lab"])}</code></td>'
        f'<td class="bc-sim-lab-value" data-lab="{html.escape(r["lab"], quote=True)}">–</td>'
        f'<td>{html.escape(r["formula"])}</td><td>{html.escape(r["why"])}</td></tr>' for r in mapping)
    return ('<details class="bc-sim-mapping"><summary>Lab settings of these results (real scale → lab scale)'
            '</summary><table><thead><tr><th>control</th><th>lab setting</th><th>value</th><th>formula</th>'
            f'<th>why</th></tr></thead><tbody>{rows}</tbody></table></details>')


def _references_html(references: dict) -> str:
    head = "".join(f"<th>{label}</th>" for _, label in METRICS)
    rows = "".join(
        f'<tr data-reference="{name}"><th scope="row">{html.escape(ref["label"])}</th>'
        f'<td>{html.escape(ref["settings"])}</td>'
        + "".join(f'<td>{html.escape(ref["series"]["metrics_text"][key])}</td>' for key, _ in METRICS)
        + f'<td>{html.escape(_rec_text(ref))}</td></tr>'
        for name, ref in references.items())
    return ('<table class="bc-sim-references"><caption>Reference runs drawn beside yours (computed when the '
            f'book was built)</caption><thead><tr><th>run</th><th>settings</th>{head}<th>what the lab reports'
            f'</th></tr></thead><tbody>{rows}</tbody></table>')


TERMS = dict(METRICS, gold="Gold reward", proxy="Proxy reward", kl="KL")


def _definitions_html(definitions: dict) -> str:
    items = "".join(f'<dt>{html.escape(TERMS.get(key, key))}</dt><dd>{html.escape(text)}</dd>'
                    for key, text in definitions.items())
    return f'<h3>What each number means</h3><dl class="bc-sim-definitions">{items}</dl>'


def _rec_text(ref: dict) -> str:
    recs = [r["text"] for r in ref["series"]["recommendations"] if r["id"] == ref["shows"]]
    return recs[0] if recs else ""


def render(config: dict, precomputed: dict, definitions: dict, mapping=(), references=None) -> str:
    controls = config["controls"]
    groups = []
    for stage, title in STAGES:
        members = [c for c in controls if c["stage"] == stage]
        if members:
            groups.append(f'<fieldset><legend>{title}</legend>{"".join(map(_control_html, members))}</fieldset>')
    metrics = "".join(
        f'<div class="bc-sim-metric" data-metric="{key}"><dt>{label}</dt>'
        f'<dd><span class="bc-sim-value" id="sim-{key}">–</span>'
        f'<details><summary>Definition</summary><p>{html.escape(definitions.get(key, ""))}</p></details></dd></div>'
        for key, label in METRICS)
    return (
        f'<div class="bc-simulator" data-simulator="{_attr(config)}" data-precomputed="{_attr(precomputed)}">'
        '<p class="bc-sim-source" id="sim-source" role="status"></p>'
        '<div class="bc-sim-problems" id="sim-problems" role="alert" hidden></div>'
        '<form class="bc-sim-controls" id="sim-form" aria-label="Simulator settings" novalidate>'
        + "".join(groups) +
        '<p class="bc-sim-snap" id="sim-snap" hidden></p>'
        '<div class="bc-sim-actions">'
        '<button type="submit" class="md-button md-button--primary" id="sim-run" disabled>Run</button>'
        '<button type="button" class="md-button" id="sim-cancel" disabled>Cancel</button>'
        '<button type="button" class="md-button" id="sim-reset">Reset to defaults</button>'
        '</div></form>'
        '<div class="bc-sim-progress">'
        '<progress id="sim-progress" max="1" value="0" aria-labelledby="sim-progress-label"></progress>'
        '<span id="sim-progress-label" aria-live="polite">Waiting for the page to start.</span></div>'
        '<section class="bc-sim-results" aria-labelledby="sim-results-title">'
        '<h2 id="sim-results-title">Results</h2>'
        '<p class="bc-sim-shown" id="sim-shown" aria-live="polite"></p>'
        f'<dl class="bc-sim-metrics">{metrics}</dl>'
        '<h3 id="sim-recs-title">Recommendations from these results</h3>'
        '<ul class="bc-sim-recs" id="sim-recs" aria-labelledby="sim-recs-title"></ul>'
        '<h3 id="sim-real-title">At real scale (published scaling laws, not the lab)</h3>'
        '<ul class="bc-sim-real" id="sim-real" aria-labelledby="sim-real-title"></ul>'
        + _mapping_html(mapping) + _references_html(references or {}) + _definitions_html(definitions) +
        '</section></div>'
    )

