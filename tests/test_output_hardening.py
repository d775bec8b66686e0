"""Output hardening (issue 12): a failing write is one clean line, leaves nothing half-written,
and a re-run after fixing the cause works.

Read-only folders and full disks are real: small tmpfs mounts (this needs root; the tests
are skipped with the reason otherwise). Concurrent runs are real processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stancekit.cli import app
from stancekit.tagging import iter_tagged
from test_input_hardening import tagged_records, write_tagged
from test_tagging import make_coverage

REPO = Path(__file__).resolve().parent.parent
CLI = "import sys; from stancekit.cli import main; sys.argv[0] = 'stancekit'; main()"
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": os.pathsep.join(
    [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}

Mount = Callable[..., Path]


@pytest.fixture
def tmpfs(tmp_path) -> Iterator[Mount]:
    """mount(name, size, readonly=False) -> a fresh tmpfs folder; mount(name, size, remount=True) resizes it."""
    mounted: list[Path] = []

    def mount(name: str, size: int, *, readonly: bool = False, remount: bool = False) -> Path:
        path = tmp_path / name
        options = f"size={size}" + (",ro" if readonly else ",rw") + (",remount" if remount else "")
        if not remount:
            path.mkdir()
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs to cause a real read-only folder or full disk (needs root): "
                        f"{result.stderr.strip()}")
        if not remount:
            mounted.append(path)
        return path

    yield mount
    for path in reversed(mounted):
        subprocess.run(["umount", "-l", str(path)], check=False)


def stancekit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CLI, *args], env=ENV, cwd=REPO, capture_output=True, text=True)


def assert_one_clean_line(result, path: Path, reason: str) -> None:
    """Exit code 1 and one error line naming the output and the reason; no traceback."""
    code = result.returncode if isinstance(result, subprocess.CompletedProcess) else result.exit_code
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert code == 1 and "Traceback" not in result.stderr, result.stderr
    assert len(errors) == 1 and f"cannot write {path}" in errors[0] and reason in errors[0], result.stderr


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_read_only_folder_is_one_clean_line_for_every_command_and_a_rerun_works(
        tmpfs, tmp_path, seed_text, tiny_stance_model_dir, seed_actors_path):
    corpus = make_coverage(tmp_path / "news.jsonl", seed_text, 2)
    tags = write_tagged(tmp_path / "tags.jsonl", tagged_records())
    disk = tmpfs("ro", 1 << 20, readonly=True)
    runner = CliRunner()
    commands = {
        disk / "sentences.jsonl": ["sentences", str(corpus), "-o", str(disk / "sentences.jsonl")],
        disk / "mentions.jsonl": ["mentions", str(corpus), "-a", str(seed_actors_path), "-o",
                                  str(disk / "mentions.jsonl")],
        disk / "tags.csv": ["tag", str(corpus), "-m", str(tiny_stance_model_dir), "-a", str(seed_actors_path),
                            "-o", str(disk / "tags.csv"), "--no-progress"],
        disk / "report": ["report", str(tags), "-o", str(disk / "report")],
    }
    for path, args in commands.items():
        assert_one_clean_line(runner.invoke(app, args), path, "Read-only file system")
    assert list(disk.iterdir()) == []
    tmpfs("ro", 1 << 20, remount=True)
    for path, args in commands.items():
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert path.exists()


@pytest.mark.parametrize("fails_in", ["chunks", "join"])
def test_full_disk_during_tag_leaves_no_partial_output_and_resumes(tmpfs, tmp_path, seed_text, tiny_stance_model_dir,
                                                                   seed_actors_path, fails_in):
    corpus = make_coverage(tmp_path / "news.jsonl", seed_text, 12)
    args = [str(corpus), "-m", str(tiny_stance_model_dir), "-a", str(seed_actors_path), "--chunk-documents", "2",
            "--no-progress", "--device", "cpu"]
    reference = tmp_path / "reference.jsonl"
    assert CliRunner().invoke(app, ["tag", *args, "-o", str(reference)]).exit_code == 0
    size = reference.stat().st_size
    # chunks then the joined output need about 2x the output: "join" fits the chunks only
    pages = 8 * 4096  # tmpfs rounds each file up to whole pages
    disk = tmpfs("disk", size // 2 if fails_in == "chunks" else size * 3 // 2 + pages)
    out = disk / "tags.jsonl"
    result = CliRunner().invoke(app, ["tag", *args, "-o", str(out)])
    assert_one_clean_line(result, disk, "No space left on device")  # names the chunk or the output
    assert "re-run the same command: it resumes" in result.stderr
    work = disk / ".tags.jsonl.parts"
    chunks = sorted(p.name for p in work.iterdir())
    assert not out.exists() and sorted(p.name for p in disk.iterdir()) == [".tags.jsonl.parts"]
    assert all(name == "job.json" or name.startswith("chunk-") for name in chunks), chunks  # no temporary file
    assert (len(chunks) - 1 == 6) == (fails_in == "join")
    tmpfs("disk", 4 * size, remount=True)
    result = CliRunner().invoke(app, ["tag", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"({2 * (len(chunks) - 1)} resumed)" in result.stderr or len(chunks) == 1
    assert out.read_bytes() == reference.read_bytes()
    assert sorted(p.name for p in disk.iterdir()) == ["tags.jsonl", "tags.jsonl.provenance.json"]


def test_full_disk_during_report_keeps_the_previous_report_whole(tmpfs, tmp_path):
    tags = write_tagged(tmp_path / "tags.jsonl", tagged_records(documents=6))
    staging = tmp_path / "staging"
    assert CliRunner().invoke(app, ["report", str(tags), "-o", str(staging)]).exit_code == 0
    pages = sum(-(-len(data) // 4096) * 4096 for data in files_under(staging).values())  # tmpfs rounds up
    # room for one report and a chart more: writing file by file in place would fail halfway through
    disk = tmpfs("disk", pages + 6 * 4096)
    report = disk / "report"
    assert CliRunner().invoke(app, ["report", str(tags), "-o", str(report)]).exit_code == 0
    before = files_under(report)
    more = write_tagged(tmp_path / "more.jsonl", tagged_records(documents=9))
    result = CliRunner().invoke(app, ["report", str(more), "-o", str(report)])
    assert_one_clean_line(result, report, "No space left on device")
    assert files_under(report) == before  # the previous report, whole: no new CSV beside old charts
    assert [p.name for p in disk.iterdir()] == ["report"]  # no temporary folder, no lock left
    tmpfs("disk", pages * 4, remount=True)
    assert CliRunner().invoke(app, ["report", str(more), "-o", str(report)]).exit_code == 0
    assert files_under(report) != before and [p.name for p in disk.iterdir()] == ["report"]


def test_report_never_replaces_a_folder_of_other_files(tmp_path):
    tags = write_tagged(tmp_path / "tags.jsonl", tagged_records())
    result = CliRunner().invoke(app, ["report", str(tags), "-o", str(tmp_path)])
    assert result.exit_code == 1 and "holds files stancekit did not write there (tags.jsonl)" in result.stderr
    assert tags.exists()


def test_kill_during_the_final_join_leaves_no_orphan_and_a_rerun_finishes(tmp_path, seed_text, tiny_stance_model_dir,
                                                                          seed_actors_path):
    corpus = make_coverage(tmp_path / "news.jsonl", seed_text, 4)
    out = tmp_path / "tags.jsonl"
    args = [str(corpus), "-m", str(tiny_stance_model_dir), "-a", str(seed_actors_path), "-o", str(out),
            "--no-progress", "--chunk-documents", "2"]
    killed_in_join = (  # the real job, killed (SIGKILL) after the join wrote part of the output
        "import os, signal, sys\n"
        "import stancekit.tagging.formats as formats\n"
        "def join(self, chunks, handle, provenance=None):\n"
        "    handle.write(b'{\"partial\": '); handle.flush(); os.kill(os.getpid(), signal.SIGKILL)\n"
        "formats.JsonlFormat.join = join\n"
        f"{CLI}\n")
    killed = subprocess.run([sys.executable, "-c", killed_in_join, "tag", *args], env=ENV, cwd=REPO,
                            capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not out.exists()
    result = stancekit("tag", *args)
    assert result.returncode == 0, result.stderr
    assert "(4 resumed)" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["news.jsonl", "tags.jsonl",
                                                          "tags.jsonl.provenance.json"]  # no orphan temporary file
    assert len(out.read_text(encoding="utf-8").splitlines()) > 4


def test_legacy_orphans_beside_the_output_are_removed_by_the_next_run(tmp_path, seed_text, tiny_stance_model_dir,
                                                                       seed_actors_path):
    corpus = make_coverage(tmp_path / "news.jsonl", seed_text, 2)
    out = tmp_path / "tags.jsonl"
    (tmp_path / ".tags.jsonl.k3j_x9q2.tmp").write_bytes(b'{"partial": ')  # left by a kill before this fix
    result = CliRunner().invoke(app, ["tag", str(corpus), "-m", str(tiny_stance_model_dir), "-a",
                                      str(seed_actors_path), "-o", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["news.jsonl", "tags.jsonl", "tags.jsonl.provenance.json"]


def test_a_second_concurrent_tag_fails_at_once_and_a_killed_run_leaves_no_stale_lock(
        tmp_path, seed_text, tiny_stance_model_dir, seed_actors_path):
    corpus = make_coverage(tmp_path / "news.jsonl", seed_text, 6)
    out = tmp_path / "tags.parquet"
    args = ["tag", str(corpus), "-m", str(tiny_stance_model_dir), "-a", str(seed_actors_path), "-o", str(out),
            "--no-progress", "--chunk-documents", "2"]
    lock = tmp_path / ".tags.parquet.lock"
    first = subprocess.Popen([sys.executable, "-c", CLI, *args], env=ENV, cwd=REPO, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300
        while first.poll() is None and time.monotonic() < deadline:
            if lock.is_file() and lock.read_text().strip() == str(first.pid):
                break
            time.sleep(0.01)
        assert first.poll() is None, "the first run finished (or failed) before it took the lock"
        first.send_signal(signal.SIGSTOP)  # frozen while it holds the lock: the second run must not wait for it
        second = stancekit(*args)
        assert second.returncode == 1, second.stderr
        assert f"error: cannot write {out}: another stancekit run (pid {first.pid}) is writing it" in second.stderr
        assert "Traceback" not in second.stderr and not out.exists()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    third = stancekit(*args)  # the killed run's lock died with it
    assert third.returncode == 0, third.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["news.jsonl", "tags.parquet", "tags.parquet.provenance.json"]
    assert {r["doc_id"] for r in iter_tagged(out)} == {f"doc-{i:03d}" for i in range(6)}
