"""The command line as a whole: version, completion, typed choices, help texts shown as written."""

from __future__ import annotations

import re

import pytest
from cli_commands import commands, groups, params
from typer.testing import CliRunner

import stancekit
from stancekit.cli import app

# the options with a fixed set of values: each must be typed (a Literal) so that typer checks and completes it
CHOICE_OPTIONS = {
    ("demo", "--studio"), ("tag", "--precision"), ("tag", "--engine"), ("train", "--kind"), ("train", "--task"),
    ("train", "--format"), ("train", "--input"), ("evaluate", "--format"), ("evaluate", "--split"),
    ("evaluate", "--precision"), ("ls adjudicate", "--policy"), ("ls rank", "--strategy"),
}
CHOICES = [(path, p) for path, callback in commands() for p in params(callback) if p.choices]
runner = CliRunner()


def squeeze(text: str) -> str:
    """Text without whitespace: help is re-wrapped (and hyphenated words may break) at the terminal width."""
    return re.sub(r"\s+", "", text)


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"stancekit {stancekit.__version__}\n"


def test_shell_completion_is_on_and_completes_choices(monkeypatch):
    # typer's switch for naming the shell instead of detecting the one this test runs under (there may be none)
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    script = runner.invoke(app, ["--show-completion", "bash"], prog_name="stancekit")
    assert script.exit_code == 0 and "_STANCEKIT_COMPLETE" in script.output
    completed = runner.invoke(app, [], prog_name="stancekit", env={
        "_STANCEKIT_COMPLETE": "complete_bash", "COMP_WORDS": "stancekit ls adjudicate --policy ", "COMP_CWORD": "4"})
    assert completed.output.split() == ["all", "ties"]


def test_every_option_with_fixed_values_is_a_typed_choice():
    assert {(" ".join(path), p.flag) for path, p in CHOICES} >= CHOICE_OPTIONS


@pytest.mark.parametrize(("path", "param"), CHOICES, ids=[f"{' '.join(c)} {p.flag}" for c, p in CHOICES])
def test_a_value_outside_the_choices_is_a_usage_error(path, param):
    """Exit code 2 (a usage error, as the README says) naming the bad value and the choices."""
    result = runner.invoke(app, [*path, param.flag, "bogus"])
    assert result.exit_code == 2, result.output
    assert "bogus" in result.output and all(choice in result.output for choice in param.choices)


@pytest.mark.parametrize("path", [p for p, _ in commands()], ids=" ".join)
def test_every_help_text_is_shown_as_written(path):
    """No help loses text to markup: square brackets ("[env ...]", "stancekit[ray]") included."""
    callback = dict((tuple(p), c) for p, c in commands())[tuple(path)]
    shown = squeeze(runner.invoke(app, [*path, "--help"], terminal_width=100).output)
    for text in [callback.__doc__ or "", *(p.help or "" for p in params(callback))]:
        assert squeeze(text) in shown, text
    for param in params(callback):
        if param.envvar:
            assert squeeze(f"[env var: {param.envvar}") in shown, param.flag


@pytest.mark.parametrize("path", [p for p, _ in groups()], ids=lambda p: " ".join(p) or "stancekit")
def test_every_group_help_is_shown_as_written(path):
    group = dict((tuple(p), g) for p, g in groups())[tuple(path)]
    shown = runner.invoke(app, [*path, "--help"])
    assert shown.exit_code == 0
    help_text = group.info.help or (group.registered_callback.callback.__doc__ if group.registered_callback else "")
    assert squeeze(help_text) in squeeze(shown.output)
