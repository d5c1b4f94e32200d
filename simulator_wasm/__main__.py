"""Command line: ``python -m simulator_wasm run [--kl-coef 0.1 ...] [--json]``, ``... controls`` and
``... datasets --seed 0 --out DIR`` (the book's data sets, datasets.py).

Every option is generated from ``controls.CONTROLS`` (name with '-' for '_', range, scale, default), so the CLI,
the page URL and the JSON the browser sends cannot drift apart. A bad value exits with status 2 and the
``ConfigError`` message, in argparse's usual ``error: argument --epochs: ...`` style.
"""

import argparse
import json
import sys

from .config import PipelineConfig, parse_control_value
from .controls import CONTROLS, controls_json, format_range
from .errors import ConfigError


def _parser_for(name: str):
    """argparse ``type=`` callable: parse and validate one control, reporting ConfigError argparse's way."""
    def parse(text: str):
        try:
            return parse_control_value(name, text)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    parse.__name__ = name
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simulator_wasm",
        description="Run the LLM-training simulator: real-scale scaling-law predictions plus a tiny numpy lab "
                    "that really trains pretrain -> SFT -> reward model -> PPO (+ DPO).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{run,controls,datasets}")
    run = sub.add_parser("run", help="run the pipeline and print its results",
                         description="Run the full pipeline. Each option is a real-scale setting; the lab maps it "
                                     "to toy scale (see 'lab_settings' in the output).")
    for c in CONTROLS:
        default = int(c.default) if c.kind == "int" else c.default
        run.add_argument("--" + c.name.replace("_", "-"), dest=c.name, type=_parser_for(c.name), default=default,
                         metavar=c.kind.upper(),
                         help=f"{c.help} Range {format_range(c)}, {c.scale} scale; default {default:g}.")
    run.add_argument("--json", action="store_true", help="print the full results as JSON instead of a summary")
    run.add_argument("--progress", action="store_true", help="report stage progress on stderr")
    sub.add_parser("controls", help="print the controls (names, ranges, defaults, units, scales) as JSON")
    data = sub.add_parser("datasets", help="write the book's data sets (CSV and JSONL) into a folder",
                          description="Regenerate the showcase Q&A, SFT and preference sets from a seed "
                                      "(simulator_wasm/datasets.py); the same seed gives the same bytes.")
    data.add_argument("--seed", type=int, default=0, help="seed of the lab run (the book uses 0)")
    data.add_argument("--out", required=True, help="folder to write into (created if missing)")
    return parser


def _summary(results: dict) -> str:
    """A human-readable digest of run_pipeline's results."""
    lines = ["Settings (real scale): " + ", ".join(f"{k}={v:g}" for k, v in results["config"].items())]
    lines.append("Lab settings (toy scale, not a prediction): "
                 + ", ".join(f"{k}={v:g}" for k, v in results["lab_settings"].items()))
    if results.get("missing_stages"):
        lines.append("MISSING STAGES (not run): " + ", ".join(results["missing_stages"]))
    lines.append("")
    lines.append("Lab metrics:")
    for key in ("final_accuracy", "safety_score", "stability", "inference_speed"):
        value = results["metrics"].get(key)
        shown = "n/a (stage missing)" if value is None else f"{value:.4g}"
        lines.append(f"  {key:16s} {shown:>12s}  {results['definitions'][key]}")
    lines.append("")
    lines.append("Stages (wall s, matmul GFLOP):")
    for stage, t in results["timing"].items():
        lines.append(f"  {stage:14s} {t['wall_s']:8.3f} s {t['matmul_gflop']:8.3f} GFLOP")
    real = results["real_scale"]
    lines.append("")
    lines.append("Real-scale predictions (published fits, not the lab):")
    for text in real["summary"]:
        lines.append("  " + text)
    lines.append("")
    lines.append("Recommendations (from this run's results):")
    for rec in results["recommendations"]:
        lines.append(f"  - [{rec['id']}] {rec['text']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "controls":
        print(controls_json())
        return 0
    if args.command == "datasets":
        from pathlib import Path

        from .datasets import files
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for name, content in files(args.seed).items():
            (out / name).write_bytes(content)
            print(out / name)
        return 0
    try:
        config = PipelineConfig(**{c.name: getattr(args, c.name) for c in CONTROLS})
    except ConfigError as exc:   # unreachable after per-option parsing, kept so a future cross-field check reports
        parser.error(str(exc))
    from .pipeline import run_pipeline  # imported late so `--help` and `controls` work without the stage modules

    def progress(stage: str, fraction: float):
        print(f"[{stage}] {fraction:4.0%}", file=sys.stderr)

    results = run_pipeline(config, progress=progress if args.progress else None)
    print(json.dumps(results, indent=2) if args.json else _summary(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
