"""`python -m simulator_wasm`: options generated from controls.py, argparse-style errors, JSON output."""

import json
import subprocess
import sys

import pytest

from simulator_wasm import __main__ as cli
from simulator_wasm.controls import CONTROLS, format_range


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "simulator_wasm", *args], capture_output=True, text=True,
                          timeout=300)


def test_help_lists_every_control_with_its_range():
    out = run_cli("run", "--help")
    assert out.returncode == 0
    text = " ".join(out.stdout.split())   # argparse wraps lines
    for c in CONTROLS:
        assert "--" + c.name.replace("_", "-") in text
        assert " ".join(f"Range {format_range(c)}, {c.scale} scale".split()) in text
    assert "--json" in text


def test_controls_command_prints_controls_json():
    out = run_cli("controls")
    assert out.returncode == 0
    doc = json.loads(out.stdout)
    assert [c["name"] for c in doc["controls"]] == [c.name for c in CONTROLS]


@pytest.mark.parametrize("args, fragment", [
    (["--epochs", "0"], "argument --epochs: epochs must be an integer in [1, 20] passes, got 0"),
    (["--kl-coef", "2"], "argument --kl-coef: kl_coef must be a number in [0.01, 1] reward per nat, got 2"),
    (["--data-tokens", "abc"], "argument --data-tokens: data_tokens must be a number in [1e+09, 1e+11] tokens, "
                               "got 'abc'"),
    (["--learning-rate", "nan"], "learning_rate must be a finite number"),
    (["--expert-pairs", "1500.5"], "expert_pairs must be an integer in [1000, 100000] pairs, got '1500.5'"),
    (["--bogus", "1"], "unrecognized arguments: --bogus"),
])
def test_bad_values_exit_with_config_error(args, fragment, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["run", *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err and fragment in err


def test_bad_value_subprocess_exit_code():
    out = run_cli("run", "--ppo-iterations", "500")
    assert out.returncode == 2
    assert "ppo_iterations must be an integer in [10, 200] iterations, got 500" in out.stderr
    assert out.stdout == ""


def test_parser_builds_config_values():
    args = cli.build_parser().parse_args(["run", "--data-tokens", "2e9", "--epochs", "3", "--kl-coef", "0.1",
                                          "--seed", "7"])
    assert (args.data_tokens, args.epochs, args.kl_coef, args.seed) == (2e9, 3, 0.1, 7)
    defaults = cli.build_parser().parse_args(["run"])
    for c in CONTROLS:
        assert getattr(defaults, c.name) == c.default


def test_missing_command_is_an_error(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([])
    assert exc.value.code == 2


def test_run_json_end_to_end():
    out = run_cli("run", "--ppo-iterations", "10", "--kl-coef", "0.2", "--seed", "4", "--json")
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert res["config"]["kl_coef"] == 0.2 and res["config"]["seed"] == 4
    assert res["lab_settings"]["ppo_iterations"] == 5
    assert set(res["metrics"]) >= {"final_accuracy", "safety_score", "stability", "inference_speed"}


def test_run_summary_and_progress(capsys):
    assert cli.main(["run", "--ppo-iterations", "10", "--progress"]) == 0
    captured = capsys.readouterr()
    for text in ("Lab metrics:", "final_accuracy", "Real-scale predictions", "Recommendations", "not a prediction"):
        assert text in captured.out
    assert "[evaluation] 100%" in captured.err
