"""Input hardening (issue 12): nothing is lost, merged, read twice or silently changed.

One test per class of problem; each fails without its fix.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stancekit.cli import app
from stancekit.errors import InputError
from stancekit.io import dumps, read_jsonl
from stancekit.readers import iter_documents
from stancekit.reporting import ReportConfig, build_report
from stancekit.tagging import TagConfig, iter_tagged, tag
from stancekit.tagging.formats import CsvFormat, ParquetFormat
from test_tagging import make_coverage

LABELS = ("against", "favor", "neutral")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def csv_coverage(rows: int, *, broken_row: int | None = None, broken: str = "", quoted: bool = False) -> str:
    lines = ["id,text,outlet"]
    for i in range(rows):
        text = f'"Article {i}: Russia, said Ukraine."' if quoted else f"Article {i}: Russia said Ukraine."
        lines.append(broken if i == broken_row else f"{i},{text},Reuters")
    return "\n".join(lines) + "\n"


def tagged_records(documents: int = 3, sentences: int = 2) -> list[dict]:
    """Records in the schema `stancekit tag` writes (made by hand: no model needed)."""
    records = []
    for d in range(documents):
        for s in range(sentences):
            text = f"Russia backed the plan {d}-{s}."
            scores = {"against": 0.1, "favor": 0.8, "neutral": 0.1}
            records.append({"doc_id": f"doc-{d}", "sent_idx": s, "start": 40 * s, "end": 40 * s + len(text),
                            "text": text, "mentions": [{"actor": "russia", "start": 0, "end": 6, "text": "Russia",
                                                        "stance": "favor", "scores": scores}],
                            "meta": {"outlet": "Gazette", "date": "2020-10-01"}})
    return records


def write_tagged(path: Path, records: list[dict]) -> Path:
    """Write records with the real output formats of `stancekit tag`."""
    suffix = path.suffix
    if suffix == ".jsonl":
        path.write_text("".join(dumps(r) + "\n" for r in records), encoding="utf-8")
    elif suffix == ".csv":
        fmt = CsvFormat(LABELS)
        chunk = path.with_name("chunk.csv")
        with chunk.open("wb") as handle:
            fmt.write_chunk(records, handle)
        with path.open("wb") as handle:
            fmt.join([chunk], handle)
        chunk.unlink()
    else:
        fmt = ParquetFormat(LABELS)
        with path.open("wb") as handle:
            fmt.write_chunk(records, handle)
    return path


# 1. CSV is read strictly --------------------------------------------------------------------------------------


@pytest.mark.parametrize("quoted", [False, True])
def test_unterminated_quote_is_an_error_not_merged_rows(tmp_path, quoted):
    """30 rows with a quote opened in row 5 and never closed: the old reader returned 6 documents
    (the quote swallowed every later row) or a misleading field count."""
    path = write(tmp_path / "news.csv", csv_coverage(30, broken_row=5, broken='5,"He said it is over,Reuters',
                                                     quoted=quoted))
    with pytest.raises(InputError) as info:
        list(iter_documents([path]))
    assert info.value.line == 7 and "malformed CSV" in info.value.reason and "never closed" in str(info.value)
    result = CliRunner().invoke(app, ["sentences", str(path)])
    assert result.exit_code == 1 and f"{path}:7: malformed CSV" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("row", "fields"), [("6,Only the text", 2), ('6,"Text",Reuters,extra', 4)])
def test_rows_with_too_few_or_too_many_fields_are_errors(tmp_path, row, fields):
    path = write(tmp_path / "news.csv", csv_coverage(10, broken_row=6, broken=row))
    with pytest.raises(InputError) as info:
        list(iter_documents([path]))
    assert info.value.line == 8 and f"row has {fields} fields, header has 3" in info.value.reason
    bad: list[InputError] = []
    docs = list(iter_documents([path], skip_bad=True, on_bad=bad.append))
    assert len(docs) == 9 and [e.line for e in bad] == [8]


def test_quoted_fields_with_newlines_and_quotes_still_read(tmp_path):
    path = write(tmp_path / "news.tsv", 'id\ttext\n1\t"Para one.\n\nPara ""two"", with\ttab."\n2\tPlain.\n')
    docs = list(iter_documents([path]))
    assert [d.text for d in docs] == ['Para one.\n\nPara "two", with\ttab.', "Plain."]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_truncated_tags_file_is_an_error_naming_file_and_line(tmp_path, suffix):
    path = write_tagged(tmp_path / f"tags{suffix}", tagged_records())
    data = path.read_bytes()
    for cut in (len(data) - 1, len(data) - 9):  # the last newline lost; cut inside the last record
        path.write_bytes(data[:cut])
        with pytest.raises(InputError) as info:
            list(iter_tagged(path))
        assert info.value.path == str(path)
        if suffix != ".parquet":  # a cut Parquet file has no footer: no row can be read
            assert info.value.line == (7 if suffix == ".csv" else 6), info.value
        result = CliRunner().invoke(app, ["report", str(path), "-o", str(tmp_path / "report")])
        assert result.exit_code == 1 and str(path) in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "report").exists()


def test_csv_tags_with_a_corrupted_score_or_row_are_errors(tmp_path):
    path = write_tagged(tmp_path / "tags.csv", tagged_records())
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:3]) + lines[3].replace(",0.8,", ",0.8x,", 1) + "".join(lines[4:]), encoding="utf-8")
    with pytest.raises(InputError, match=r"tags\.csv:4: column 'score_favor' must be a number, found '0\.8x'"):
        list(iter_tagged(path))
    path.write_text("".join(lines[:3]) + lines[3].split(",Russia backed")[0] + "\n" + "".join(lines[4:]),
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"tags\.csv:4: row has \d+ fields, header has 14"):
        list(iter_tagged(path))


# 2. The job's own outputs are never read as input ----------------------------------------------------------------


def test_tag_output_inside_the_input_folder_is_not_read_back(tmp_path, seed_text, tiny_stance_model_dir,
                                                              seed_actors_path, capsys):
    folder = tmp_path / "coverage"
    folder.mkdir()
    make_coverage(folder / "news.jsonl", seed_text, 4)
    out = folder / "tags.jsonl"
    config = TagConfig(inputs=[folder], model=tiny_stance_model_dir, actors=seed_actors_path, output=out,
                       progress=False, chunk_documents=2)
    first = tag(config)
    first_bytes = out.read_bytes()
    (folder / ".tags.jsonl.parts").mkdir()  # a leftover work folder with a finished chunk
    shutil.copy(out, folder / ".tags.jsonl.parts" / "chunk-00000000.jsonl")
    build_report(ReportConfig(tags=out, output_dir=folder / "report"))
    capsys.readouterr()
    again = tag(config)
    assert again.documents == first.documents == 4 and again.mentions == first.mentions
    assert out.read_bytes() == first_bytes
    err = capsys.readouterr().err
    assert f"not read: {out}: this job's own output" in err
    assert f"{folder / 'report'}: a `stancekit report` output folder" in err
    # the output of another job (sentence records) in the folder is not coverage either
    from stancekit.readers import scan_inputs

    write(folder / "sentences.jsonl", "".join(dumps(r) + "\n" for r in read_jsonl(out)))
    scan = scan_inputs([folder], exclude=config.own_files)
    assert scan.files == [folder / "news.jsonl"]
    assert any(s.path == folder / "sentences.jsonl" and "sentence records" in s.reason for s in scan.skipped)
    with pytest.raises(InputError, match="sentence records written by stancekit"):
        list(iter_documents([folder / "sentences.jsonl"]))


# 3. Folders: every file not read is named -----------------------------------------------------------------------


def test_folder_reads_every_coverage_kind_and_names_what_it_skips(tmp_path):
    write(tmp_path / "a.txt", "A.")
    write(tmp_path / "b.text", "B.")
    write(tmp_path / "c.ndjson", json.dumps({"id": "c", "text": "C."}) + "\n")
    write(tmp_path / "d.tsv", "id\ttext\nd\tD.\n")
    write(tmp_path / "e.json", json.dumps([{"id": "e", "text": "E."}]))
    write(tmp_path / "notes.md", "# About this corpus")
    write(tmp_path / ".DS_Store", "junk")
    write(tmp_path / "sub" / "chart.png", "png")
    result = CliRunner().invoke(app, ["sentences", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted({json.loads(line)["doc_id"] for line in result.stdout.splitlines()}) == ["a", "b", "c", "d"]
    for name in ("e.json", "notes.md", ".DS_Store", "sub/chart.png"):
        assert f"not read: {tmp_path / name}: " in result.stderr, name
    assert "jq -c" in result.stderr  # .json says how to convert it
    with pytest.raises(InputError, match="unsupported file type '.json'.*JSONL"):
        list(iter_documents([tmp_path / "e.json"]))


# 4. Text that is not valid Unicode is a bad document -------------------------------------------------------------


LONE_SURROGATE = '{"id": "bad", "text": "Russia \\ud800 said."}\n'


def test_lone_surrogate_is_a_bad_document_named_and_skippable(tmp_path):
    path = write(tmp_path / "news.jsonl", json.dumps({"id": "ok", "text": "Fine."}) + "\n" + LONE_SURROGATE
                 + json.dumps({"id": "meta", "text": "Ok.", "title": "x\udc00y"}, ensure_ascii=True) + "\n")
    with pytest.raises(InputError, match=r"news\.jsonl:2: lone surrogate '\\ud800'"):
        list(iter_documents([path]))
    bad: list[InputError] = []
    assert [d.id for d in iter_documents([path], skip_bad=True, on_bad=bad.append)] == ["ok"]
    assert [e.line for e in bad] == [2, 3]
    out = tmp_path / "sentences.jsonl"
    result = CliRunner().invoke(app, ["sentences", str(path), "--skip-bad", "-o", str(out)])
    assert result.exit_code == 0 and "skipped 2 bad record(s)" in result.stderr, result.output
    tags = write(tmp_path / "tags.jsonl", LONE_SURROGATE.replace('"id": "bad"', '"doc_id": "d", "sent_idx": 0, '
                                                                  '"mentions": []'))
    with pytest.raises(InputError, match=r"tags\.jsonl:1: lone surrogate"):
        list(iter_tagged(tags))


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_tag_skips_a_lone_surrogate_document_in_every_format(tmp_path, seed_text, tiny_stance_model_dir,
                                                             seed_actors_path, suffix):
    corpus = make_coverage(tmp_path / "news.jsonl", seed_text, 2)
    with corpus.open("a", encoding="utf-8") as handle:
        handle.write(LONE_SURROGATE.replace("Russia", "Armenia and Azerbaijan"))
    out = tmp_path / f"tags{suffix}"
    result = CliRunner().invoke(app, ["tag", str(corpus), "-m", str(tiny_stance_model_dir), "-a",
                                      str(seed_actors_path), "-o", str(out), "--skip-bad", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert f"{corpus}:3: lone surrogate" in result.stderr
    assert {r["doc_id"] for r in iter_tagged(out)} == {"doc-000", "doc-001"}


# 5. Duplicate records are refused ------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_report_refuses_duplicated_records(tmp_path, suffix):
    records = tagged_records()
    path = write_tagged(tmp_path / f"tags{suffix}", records + records)  # the same output concatenated twice
    with pytest.raises(InputError) as info:
        build_report(ReportConfig(tags=path, output_dir=tmp_path / "report"))
    assert "sentence 0 of document 'doc-0' occurs twice" in info.value.reason
    assert info.value.line == {".jsonl": 7, ".csv": 8, ".parquet": 7}[suffix]
    assert not (tmp_path / "report").exists()
    interleaved = write_tagged(tmp_path / f"ok{suffix}", records[1::2] + records[::2])  # order is free
    assert len(list(iter_tagged(interleaved))) == len(records)


def test_standard_output_redirected_into_the_input_folder_is_not_read_back(tmp_path, seed_text, seed_actors_path):
    # `stancekit mentions cov > cov/out.jsonl`: the shell creates the (empty) output before the job
    # starts, so neither its name nor its content can tell; it is the file standard output writes to.
    import subprocess
    import sys

    folder = tmp_path / "cov"
    write(folder / "seed.txt", seed_text)
    output = folder / "out.jsonl"
    with output.open("w") as stdout:
        done = subprocess.run([sys.executable, "-m", "stancekit", "mentions", str(folder), "--actors",
                               str(seed_actors_path)], stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"not read: {output}: this job's own output" in done.stderr
    records = list(read_jsonl(output))
    assert {r["doc_id"] for r in records} == {"seed"} and len(records) > 10


def test_json_nested_too_deeply_is_a_bad_record(tmp_path):
    path = write(tmp_path / "deep.jsonl", json.dumps({"id": "ok", "text": "Russia spoke."}) + "\n"
                 + '{"id": "deep", "text": "x", "meta": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    with pytest.raises(InputError, match="deep.jsonl:2: JSON nested too deeply"):
        list(iter_documents([path]))
    bad: list[InputError] = []
    assert [d.id for d in iter_documents([path], skip_bad=True, on_bad=bad.append)] == ["ok"]
    assert len(bad) == 1
