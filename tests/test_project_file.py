"""The project file (stancekit.toml, or [tool.stancekit] in pyproject.toml): found from the working folder
upwards, overridden by the command line, shown by `stancekit config`, written by `stancekit init`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stancekit.cli import app
from stancekit.errors import ConfigError
from stancekit.project import PROJECT_FILE_ENV, current_project, find_project_file, load_project_file
from stancekit.studio.connection import url_and_source

REPO = Path(__file__).resolve().parent.parent
SEED_ARTICLE = REPO / "seeds" / "000_cae259164d53c011.txt"
runner = CliRunner()
ONE_ACTOR = "actors:\n  - id: kremlin-only\n    name: Kremlin\n    type: government\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed_actors_path: Path) -> Path:
    """A project folder with a stancekit.toml (relative paths) and a working folder two levels below it."""
    root = tmp_path / "project"
    (root / "dictionaries").mkdir(parents=True)
    (root / "dictionaries" / "nk.actors.yaml").write_bytes(seed_actors_path.read_bytes())
    (root / "stancekit.toml").write_text(
        '# a project\nactors = "dictionaries/nk.actors.yaml"\nthreads = 1\n\n'
        '[label_studio]\nurl = "http://127.0.0.1:8099"\nproject = "NK 2020"\n', encoding="utf-8")
    below = root / "work" / "deeper"
    below.mkdir(parents=True)
    monkeypatch.chdir(below)
    monkeypatch.delenv(PROJECT_FILE_ENV, raising=False)
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    return root


def actors_in(output: str) -> set[str]:
    return {m["actor"] for line in output.splitlines() if line.startswith("{") for m in json.loads(line)["mentions"]}


def test_the_project_file_is_found_from_below_and_gives_defaults(project):
    assert find_project_file() == project / "stancekit.toml"
    result = runner.invoke(app, ["mentions", str(SEED_ARTICLE)])  # no --actors: the project's dictionary
    assert result.exit_code == 0, result.output
    assert {"russia", "armenia", "azerbaijan"} <= actors_in(result.stdout)
    helped = runner.invoke(app, ["mentions", "--help"], terminal_width=300).stdout
    assert str(project / "dictionaries" / "nk.actors.yaml") in helped  # the default shown is the project's


def test_the_command_line_overrides_the_project_file(project, tmp_path):
    mine = tmp_path / "one.actors.yaml"
    mine.write_text(ONE_ACTOR, encoding="utf-8")
    result = runner.invoke(app, ["mentions", str(SEED_ARTICLE), "-a", str(mine)])
    assert result.exit_code == 0, result.output
    assert actors_in(result.stdout) == {"kremlin-only"}


def test_config_shows_each_value_and_where_it_came_from(project, monkeypatch):
    shown = runner.invoke(app, ["config", "--json"])
    assert shown.exit_code == 0, shown.output
    found = json.loads(shown.stdout)
    settings = found["settings"]
    assert found["project_file"] == str(project / "stancekit.toml")
    assert settings["actors"] == {**settings["actors"], "value": str(project / "dictionaries" / "nk.actors.yaml"),
                                  "source": str(project / "stancekit.toml")}
    assert (settings["threads"]["value"], settings["label_studio.project"]["value"]) == (1, "NK 2020")
    assert settings["label_studio.url"]["value"] == "http://127.0.0.1:8099"
    assert settings["model"] == {**settings["model"], "value": None, "source": "not set"}
    assert settings["label_studio.token"]["value"] is None

    monkeypatch.setenv("LABEL_STUDIO_URL", "http://10.0.0.1:8080/")  # the environment beats the file
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "a-secret-token")
    text = runner.invoke(app, ["config"]).stdout
    url_line = next(line for line in text.splitlines() if line.startswith("label_studio.url"))
    assert url_line.split() == ["label_studio.url", "http://10.0.0.1:8080", "$LABEL_STUDIO_URL"]
    assert "a-secret-token" not in text and "(set)" in text
    assert url_and_source("http://h:1") == ("http://h:1", "--url")  # and a flag beats the environment


def test_the_project_title_and_address_reach_the_label_studio_commands(project):
    helped = runner.invoke(app, ["ls", "pull", "--help"], terminal_width=300).stdout
    assert "default: NK 2020" in helped
    assert url_and_source() == ("http://127.0.0.1:8099", f"{project / 'stancekit.toml'} (label_studio.url)")


def test_a_bad_path_in_the_project_file_names_the_file(project):
    (project / "dictionaries" / "nk.actors.yaml").unlink()
    result = runner.invoke(app, ["mentions", str(SEED_ARTICLE)])
    assert result.exit_code == 1
    assert "no such file" in result.stderr and f"set in the project file {project / 'stancekit.toml'}" in result.stderr


def test_pyproject_table_is_a_project_file_too(tmp_path, monkeypatch, seed_actors_path):
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "x"\n\n[tool.stancekit]\nactors = '
                                             f'"{seed_actors_path}"\n', encoding="utf-8")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    monkeypatch.delenv(PROJECT_FILE_ENV, raising=False)
    assert current_project().get("actors") == seed_actors_path
    other = tmp_path / "sub" / "pyproject.toml"  # a pyproject.toml without the table is not ours: search goes on
    other.write_text('[project]\nname = "y"\n', encoding="utf-8")
    assert find_project_file() == tmp_path / "pyproject.toml"


def test_the_project_file_variable_names_one_or_none(project, monkeypatch, tmp_path):
    monkeypatch.setenv(PROJECT_FILE_ENV, "/dev/null")
    assert current_project().values == {}
    assert runner.invoke(app, ["mentions", str(SEED_ARTICLE)]).exit_code == 2  # --actors missing again
    monkeypatch.setenv(PROJECT_FILE_ENV, str(tmp_path / "nowhere.toml"))
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 1 and "nowhere.toml not found" in result.stderr


@pytest.mark.parametrize(("text", "says"), [
    ('actor = "x.yaml"\n', "unknown setting 'actor' (did you mean actors?)"),
    ('[label_studio]\ntoken = "abc"\n', "does not belong in a project file"),
    ("threads = 0\n", "threads must be a whole number of at least 1"),
    ('actors = ""\n', "actors must be a non-empty string"),
    ('actors = "x\n', "not valid TOML"),
])
def test_a_bad_project_file_is_one_error_naming_it(text, says, tmp_path, monkeypatch):
    path = tmp_path / "stancekit.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=None) as raised:
        load_project_file(path)
    assert says in str(raised.value) and str(path) in str(raised.value)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(PROJECT_FILE_ENV, raising=False)
    result = runner.invoke(app, ["sentences", str(SEED_ARTICLE)])
    assert result.exit_code == 1 and says in result.stderr and "Traceback" not in result.output


def test_init_writes_a_commented_file_that_reads_back(tmp_path, monkeypatch, seed_actors_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(PROJECT_FILE_ENV, raising=False)
    local = tmp_path / "seeds" / "nk.actors.yaml"
    local.parent.mkdir()
    local.write_bytes(seed_actors_path.read_bytes())
    result = runner.invoke(app, ["init", "-a", "seeds/nk.actors.yaml", "-p", "NK 2020", "--url", "http://h:9/"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "stancekit.toml").read_text(encoding="utf-8")
    assert 'actors = "seeds/nk.actors.yaml"' in text and "# model = " in text and text.count("#") > 10
    project = current_project()
    assert project.get("actors") == local and project.get("label_studio.project") == "NK 2020"
    assert project.get("label_studio.url") == "http://h:9"
    again = runner.invoke(app, ["init"])
    assert again.exit_code == 1 and "exists" in again.stderr and "--force" in again.stderr
    assert runner.invoke(app, ["init", "--force"]).exit_code == 0
    assert current_project().values == {}  # a fresh file: every setting commented out


def test_push_takes_no_model_from_the_project_file(project):
    """Pre-filling annotators' answers is a choice per push; tag and rank take the project's model."""
    (project / "models" / "stance").mkdir(parents=True)
    text = (project / "stancekit.toml").read_text(encoding="utf-8").replace('threads = 1\n',
                                                                          'threads = 1\nmodel = "models/stance"\n')
    (project / "stancekit.toml").write_text(text, encoding="utf-8")
    model = str(project / "models" / "stance")
    assert model in runner.invoke(app, ["tag", "--help"], terminal_width=300).stdout
    assert model in runner.invoke(app, ["ls", "rank", "--help"], terminal_width=300).stdout
    assert model not in runner.invoke(app, ["ls", "push", "--help"], terminal_width=300).stdout
