"""Paths that are not what they claim: every command says so in one clear line before any work starts
(issue 21); and an HTTP server that is not Label Studio is named as such."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stancekit.cli import app
from stancekit.errors import PathError
from stancekit.options import DICTIONARY
from stancekit.paths import PathRule, check_path

STANCEKIT = Path(sys.executable).with_name("stancekit")
runner = CliRunner()


def one_clean_line(result, *needles: str) -> str:
    """Exit code 1, exactly one `error:` line holding every needle, and no traceback."""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert len(errors) == 1 and all(n in errors[0] for n in needles), result.stderr
    return errors[0]


@pytest.fixture
def places(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "folder"
    folder.mkdir()
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    a_file = tmp_path / "file.txt"
    a_file.write_text("x", encoding="utf-8")
    return {"folder": folder, "loop": loop, "dangling": dangling, "fifo": fifo, "file": a_file}


@pytest.mark.parametrize("command", [["actors", "check"], ["actors", "list"]])
@pytest.mark.parametrize(("place", "says"), [("folder", "a folder, not a file"), ("loop", "symbolic-link loop"),
                                             ("dangling", "which does not exist"), ("missing", "no such file")])
def test_actors_check_and_list_name_what_the_path_is(command, place, says, places, tmp_path):
    path = places.get(place, tmp_path / "missing.yaml")
    one_clean_line(runner.invoke(app, [*command, str(path)]), str(path), says, "actor dictionary")


def test_tag_names_what_each_path_is_before_any_work(places, seed_actors_path, tmp_path):
    base = ["tag", str(seed_actors_path.parent / "000_cae259164d53c011.txt"), "-m", str(places["folder"])]
    cases = [
        (["tag", str(places["loop"]), "-m", str(places["folder"]), "-a", str(seed_actors_path), "-o", "t.jsonl"],
         "symbolic-link loop"),
        ([*base, "-a", str(places["folder"]), "-o", str(tmp_path / "t.jsonl")], "--actors", "a folder, not a file"),
        (["tag", str(places["fifo"]), "-m", str(places["folder"]), "-a", str(seed_actors_path), "-o", "t.jsonl"],
         "a pipe (FIFO), not a regular file"),
    ]
    for args, *says in cases:
        one_clean_line(runner.invoke(app, args), *says)


def test_tag_refuses_an_output_that_is_a_folder_before_reading_anything(seed_actors_path, tmp_path):
    target = tmp_path / "tags.jsonl"
    target.mkdir()
    started = time.perf_counter()
    result = runner.invoke(app, ["tag", "-o", str(target), str(seed_actors_path.parent), "-m", str(tmp_path),
                                 "-a", str(seed_actors_path)])
    line = one_clean_line(result, f"cannot write {target}", "a folder, not a file")
    assert "re-run" not in line and time.perf_counter() - started < 5
    assert not (tmp_path / ".tags.jsonl.parts").exists() and target.is_dir() and not any(target.iterdir())


def test_tag_refuses_an_output_that_is_a_pipe_and_leaves_the_pipe(places, seed_actors_path, tmp_path):
    result = runner.invoke(app, ["tag", "-o", str(places["fifo"]), str(seed_actors_path.parent), "-m", str(tmp_path),
                                 "-a", str(seed_actors_path)])
    one_clean_line(result, f"cannot write {places['fifo']}", "a pipe (FIFO)")
    assert places["fifo"].is_fifo()


def test_an_output_below_a_file_is_refused(places, seed_actors_path):
    target = places["file"] / "out.jsonl"
    result = runner.invoke(app, ["mentions", str(seed_actors_path.parent / "000_cae259164d53c011.txt"), "-a",
                                 str(seed_actors_path), "-o", str(target)])
    one_clean_line(result, f"cannot write {target}", "no folder can be made there")


@pytest.mark.parametrize(("place", "says"), [("folder", "a folder, not a file"), ("loop", "symbolic-link loop"),
                                             ("missing", "no such file")])
def test_report_names_what_its_input_is(place, says, places, tmp_path):
    path = places.get(place, tmp_path / "missing.jsonl")
    line = one_clean_line(runner.invoke(app, ["report", str(path), "-o", str(tmp_path / "r")]), str(path), says)
    assert "expected the output of `stancekit tag`" in line


def test_report_with_a_folder_as_dictionary_is_one_line(places, tmp_path):
    tags = tmp_path / "tags.jsonl"
    tags.write_text("", encoding="utf-8")
    one_clean_line(runner.invoke(app, ["report", str(tags), "-a", str(places["folder"]), "-o", str(tmp_path / "r")]),
                   str(places["folder"]), "a folder, not a file")


def test_a_pipe_is_read_as_a_stream_where_once_is_enough(places, seed_actors_path):
    """`actors check <(cat dict.yaml)`: the dictionary is read once, from a pipe too; with nothing written yet the
    command says what it waits for instead of hanging silently."""
    process = subprocess.Popen([str(STANCEKIT), "actors", "check", str(places["fifo"])], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)

    def write_later() -> None:
        time.sleep(2.0)
        with places["fifo"].open("wb") as pipe:
            pipe.write(seed_actors_path.read_bytes())

    writer = threading.Thread(target=write_later)
    writer.start()
    out, err = process.communicate(timeout=60)
    writer.join()
    assert process.returncode == 0, err
    assert "OK, 54 actors" in out and f"waiting for data on the pipe {places['fifo']}" in err


def test_process_substitution_works_for_a_dictionary(seed_actors_path):
    result = subprocess.run(["bash", "-c", f'"{STANCEKIT}" actors check <(cat "{seed_actors_path}")'],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "OK, 54 actors" in result.stdout and result.stderr == "", result.stderr


def test_the_path_rules_hold_for_python_callers(places):
    with pytest.raises(PathError, match="a folder, not a file"):
        check_path(places["folder"], DICTIONARY, option="--actors")
    with pytest.raises(PathError, match="symbolic-link loop"):
        check_path(places["loop"], PathRule("folder", "a folder"), option="--pulled")
    with pytest.raises(PathError, match="not a folder"):
        check_path(places["file"], PathRule("output-folder", "a folder"), option="-o")
    assert check_path(places["fifo"], DICTIONARY, option="--actors") == places["fifo"]  # a stream is fine here
    from stancekit.tagging.job import TagConfig

    with pytest.raises(PathError, match="a folder, not a file"):
        TagConfig(inputs=[places["file"]], model=places["folder"], actors=places["folder"], output="x.jsonl")


# -- a server that is not Label Studio ------------------------------------------------------------------------
class NotFound(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


class AlwaysHTML(NotFound):
    def do_GET(self) -> None:  # noqa: N802
        body = b"<html><body>welcome</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(params=[NotFound, AlwaysHTML], ids=["404", "html"])
def other_server(request) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), request.param)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("command", [["ls", "pull", "-p", "NK 2020"], ["ls", "rank", "-p", "NK 2020"]])
def test_a_server_that_is_not_label_studio_is_named_as_such(command, other_server, tmp_path,
                                                            baseline_stance_model_dir):
    args = [*command, "--url", other_server, "-o", str(tmp_path / "out")]
    if command[1] == "rank":
        args += ["-m", str(baseline_stance_model_dir)]
    line = one_clean_line(runner.invoke(app, args, env={"LABEL_STUDIO_API_KEY": "t" * 40}),
                          f"{other_server} is not a Label Studio")
    assert "no project titled" not in line
    assert not (tmp_path / "out").exists()
    assert json.dumps(line)  # a single printable line
