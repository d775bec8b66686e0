"""One vocabulary: every command speaks the same shared options, help reads like a tool's, old spellings still
work (with a line on stderr), a closed pipe ends quietly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_commands import commands, params
from typer.testing import CliRunner

from stancekit.cli import app
from stancekit.cli._deprecated import rewrite
from stancekit.options import SHARED

REPO = Path(__file__).resolve().parent.parent
SEED_GOLD = REPO / "datasets" / "seed-gold"
STANCEKIT = Path(sys.executable).with_name("stancekit")
runner = CliRunner()
COMMANDS = {" ".join(path): callback for path, callback in commands()}
BY_FLAG: dict[str, list] = {}
for shared in SHARED:
    if shared.flags:
        BY_FLAG.setdefault(shared.flags[0], []).append(shared)

# where each shared option must be offered (the commands the issue names, and every later one)
EXPECTED = {
    "--actors": {"mentions", "tag", "report", "ls push", "ls pull", "ls parse", "ls adjudicate", "ls config",
                 "ls rank", "serve", "demo", "init"},
    "--model": {"tag", "evaluate", "ls push", "ls rank", "serve", "report"},
    "--sentiment-model": {"tag", "ls push", "serve"},
    "--output": {"sentences", "mentions", "tag", "report", "train", "ls pull", "ls parse", "ls rank", "dataset build",
                 "agreement", "demo", "init"},
    "--url": {"ls push", "ls pull", "ls adjudicate", "ls rank", "serve", "demo", "init"},
    "--token": {"ls push", "ls pull", "ls adjudicate", "ls rank"},
    "--project": {"ls push", "ls pull", "ls adjudicate", "ls rank", "init"},
    "--threads": {"tag", "train", "serve"},
    "--device": {"tag", "train", "evaluate"},
    "--skip-bad": {"sentences", "mentions", "tag", "ls push", "report"},
    "--json": {"evaluate", "agreement", "config"},
}
def shared_params():
    for name, callback in COMMANDS.items():
        for param in params(callback):
            if param.flag in BY_FLAG:
                yield name, param


SHARED_PARAMS = list(shared_params())


@pytest.mark.parametrize(("command", "param"), SHARED_PARAMS, ids=[f"{c} {p.flag}" for c, p in SHARED_PARAMS])
def test_a_shared_option_has_one_flag_help_and_metavar_everywhere(command, param):
    declared = [(s.flags, s.help, s.metavar or None) for s in BY_FLAG[param.flag]]
    flags = tuple(sorted(param.flags, key=lambda f: not f.startswith("--")))
    assert (flags, param.help, param.metavar) in declared, (command, param)


def test_every_shared_option_is_offered_where_a_user_expects_it():
    offered: dict[str, set[str]] = {}
    for command, param in SHARED_PARAMS:
        offered.setdefault(param.flag, set()).add(command)
    for flag, expected in EXPECTED.items():
        assert expected <= offered.get(flag, set()), (flag, expected - offered.get(flag, set()))


@pytest.mark.parametrize("path", [p for p, _ in commands()], ids=" ".join)
def test_help_shows_metavars_not_python_types(path):
    shown = runner.invoke(app, [*path, "--help"], terminal_width=200).output
    for python in ("<list[", "<str>", "<int>", "<float>", "<path>", "{inputs}", "<dir>", "<file>"):
        assert python not in shown, (path, python)
    for param in params(COMMANDS[" ".join(path)]):
        if param.flag is None:  # an argument: its metavar is upper case (PATH..., FILE, DIR)
            assert param.metavar and param.metavar.rstrip(".").isupper(), (path, param.name)


def test_the_top_level_help_lists_commands_in_workflow_order_under_headings():
    shown = runner.invoke(app, ["--help"]).output
    headings = ["Read coverage:", "Annotate in Label Studio:", "Learn from the labels:", "Tag coverage:", "Report:",
                "Model in the loop:", "Project:"]
    assert [shown.index(h) for h in headings] == sorted(shown.index(h) for h in headings)
    order = ["sentences", "mentions", "actors", "studio", "ls", "agreement", "dataset", "train", "evaluate", "tag",
             "report", "serve", "init", "config", "demo"]
    lines = [line.split()[0] for line in shown.splitlines() if line.startswith("  ") and line.split()]
    assert [name for name in lines if name in order] == order


def test_a_value_out_of_range_is_a_usage_error(seed_actors_path, tmp_path):
    for args in (["tag", str(seed_actors_path), "-m", str(tmp_path), "-a", str(seed_actors_path), "-o", "x.jsonl",
                  "--batch-size", "0"],
                 ["serve", "-m", str(tmp_path), "--port", "70000"],
                 ["ls", "push", str(seed_actors_path), "-a", str(seed_actors_path), "-p", "abc", "--overlap", "0"],
                 ["dataset", "build", str(tmp_path), "-o", str(tmp_path / "d"), "--test", "1.5"],
                 ["train", "-d", str(tmp_path), "-o", str(tmp_path / "m"), "--epochs", "0"],
                 ["tag", str(seed_actors_path), "--recheck-margin", "nan"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "Error: Invalid value for" in result.output and "Traceback" not in result.output


def test_report_confidence_out_of_range_is_a_usage_error(tmp_path):
    tags = tmp_path / "tags.jsonl"
    tags.write_text("", encoding="utf-8")
    assert runner.invoke(app, ["report", str(tags), "-o", str(tmp_path / "r"), "--confidence", "1.5"]).exit_code == 2


def test_a_bad_choice_reads_plainly():
    result = runner.invoke(app, ["train", "--kind", "bogus"])
    assert result.exit_code == 2
    assert "'bogus' is not one of transformer, baseline" in result.output and "Value error" not in result.output


# -- old spellings: rewritten with one deprecation line, and they still work ----------------------------------
GROUPS = {"ls": {"push", "pull", "parse", "adjudicate", "config", "rank"}, "dataset": {"build"},
          "studio": {"start", "stop"}, "actors": {"check", "list"}}


def VALUES(command: tuple[str, ...]) -> set[str]:  # noqa: N802 (as the application gives it)
    from stancekit.cli._app import app as typer_app
    from typer.main import get_command

    return get_command(typer_app)._options_with_a_value(command)


@pytest.mark.parametrize(("old", "new"), [
    (["train", "--model", "baseline", "-d", "x"], ["train", "--kind", "baseline", "-d", "x"]),
    (["ls", "pull", "-p", "P", "--out", "d"], ["ls", "pull", "-p", "P", "--output", "d"]),
    (["ls", "parse", "raw.json", "--out=d"], ["ls", "parse", "raw.json", "--output=d"]),
    (["serve", "-m", "m", "--studio-url", "http://h:1"], ["serve", "-m", "m", "--url", "http://h:1"]),
    (["demo", "--studio-url=http://h:1"], ["demo", "--url=http://h:1"]),
    (["dataset", "build", "p", "--name", "nk", "--out-root", "ds"], ["dataset", "build", "p", "--output", "ds/nk"]),
    (["dataset", "build", "p", "-n", "nk"], ["dataset", "build", "p", "--output", "datasets/nk"]),
    (["agreement", "a.jsonl", "--json", "r.json"], ["agreement", "a.jsonl", "--output", "r.json"]),
    (["agreement", "a.jsonl", "--json", "-"], ["agreement", "a.jsonl", "--json"]),
    (["ls", "push", "c", "-m", "stance", "-m", "sentiment"], ["ls", "push", "c", "-m", "stance", "--sentiment-model",
                                                              "sentiment"]),
])
def test_an_old_spelling_is_rewritten_with_a_deprecation_line(old, new, capsys):
    assert rewrite(old, GROUPS, VALUES) == new
    said = capsys.readouterr().err
    assert said.count("warning: deprecated:") >= 1 and "0.3" in said


@pytest.mark.parametrize("args", [["agreement", "a.jsonl", "--json"], ["train", "--kind", "baseline"],
                                  ["tag", "x", "-m", "m", "--model", "n"], ["ls", "pull", "-p", "--out"],
                                  ["ls", "push", "c", "-p", "-m", "-m", "stance"],
                                  ["agreement", "-o", "--json", "a.jsonl"]])
def test_current_spellings_are_left_alone(args, capsys):
    assert rewrite(args, GROUPS, VALUES) == args and capsys.readouterr().err == ""


def test_old_spellings_still_work_end_to_end(seed_actors_path, tmp_path):
    (raw,) = [p for p in (SEED_GOLD / "raw").glob("export-*.json") if not p.name.endswith(".users.json")]
    parsed = runner.invoke(app, ["ls", "parse", str(raw), "--out", str(tmp_path / "pulled"), "-a",
                                 str(seed_actors_path)])
    assert parsed.exit_code == 0, parsed.output
    assert "deprecated: `stancekit ls parse --out`; use --output" in parsed.stderr
    annotations = tmp_path / "pulled" / "annotations.jsonl"
    assert annotations.is_file()

    written = runner.invoke(app, ["agreement", str(annotations), "--json", str(tmp_path / "report.json")])
    assert written.exit_code == 0 and "deprecated" in written.stderr, written.output
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["annotators"]
    printed = runner.invoke(app, ["agreement", str(annotations), "--json", "-"])
    assert printed.exit_code == 0 and json.loads(printed.stdout)["annotators"], printed.output

    built = runner.invoke(app, ["dataset", "build", str(tmp_path / "pulled"), "--name", "seed", "--out-root",
                                str(tmp_path / "datasets")])
    assert built.exit_code == 0, built.output
    assert (tmp_path / "datasets" / "seed" / "stancekit-dataset.json").is_file()
    assert json.loads((tmp_path / "datasets" / "seed" / "stancekit-dataset.json").read_text())["name"] == "seed"

    helped = runner.invoke(app, ["serve", "--studio-url", "http://127.0.0.1:9", "--help"])
    assert helped.exit_code == 0 and "--url URL" in helped.stdout and "deprecated" in helped.stderr


def test_train_model_kind_old_spelling_trains(tiny_newsmtsc_dir, tmp_path):
    out = tmp_path / "m"
    result = runner.invoke(app, ["train", "--model", "baseline", "-d", str(tiny_newsmtsc_dir), "-o", str(out),
                                 "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "deprecated: `stancekit train --model`; use --kind" in result.stderr
    assert json.loads((out / "stancekit.json").read_text(encoding="utf-8"))["kind"] == "baseline"


def test_push_takes_a_sentiment_model_given_as_the_model_with_a_deprecation_line(tiny_sentiment_model_dir, capsys):
    from stancekit.studio.push import ModelAnswers

    answers = ModelAnswers(tiny_sentiment_model_dir, None)
    assert answers.stance is None and answers.sentiment is not None and answers.sentiment.task == "sentiment"
    assert "deprecated" in capsys.readouterr().err


# -- a closed pipe ends quietly, as Unix tools do -------------------------------------------------------------
@pytest.mark.parametrize("command", ["sentences", "mentions"])
def test_a_closed_pipe_exits_0_with_nothing_on_stderr(command, seed_actors_path, seed_text, tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"d{i}", "text": seed_text}) + "\n" for i in range(60)),
                      encoding="utf-8")
    args = [str(STANCEKIT), command, str(corpus)] + (["-a", str(seed_actors_path)] if command == "mentions" else [])
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()  # `| head -1`: one line, then the reader goes away
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0, stderr
    assert json.loads(first)["doc_id"] == "d0"
    assert stderr == ""
