"""Readers: every format, its bad inputs, --skip-bad and streaming."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stancekit.errors import InputError
from stancekit.readers import iter_documents


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def jsonl(*records: dict) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def test_txt_file_stem_is_id_and_bom_is_stripped(tmp_path):
    write(tmp_path / "a1.txt", "\ufeffRussia said no.".encode("utf-8"))
    [doc] = iter_documents([tmp_path / "a1.txt"])
    assert (doc.id, doc.text, doc.meta) == ("a1", "Russia said no.", {})


def test_jsonl_fields_and_extra_metadata(tmp_path):
    path = write(tmp_path / "c.jsonl", "\ufeff" + jsonl(
        {"id": 7, "text": "Baku denied it.", "title": "T", "outlet": "X", "date": "2020-10-15", "url": "u", "lang": "en"},
        {"id": "b", "text": "Ankara agreed.", "title": ""},
    ) + "\n")
    docs = list(iter_documents([path]))
    assert [d.id for d in docs] == ["7", "b"]
    assert docs[0].meta == {"title": "T", "outlet": "X", "date": "2020-10-15", "url": "u", "lang": "en"}
    assert docs[1].meta == {}  # empty fields are dropped
    assert docs[0].source == f"{path}:1"


def test_jsonl_without_id_gets_file_and_line_id(tmp_path):
    path = write(tmp_path / "c.jsonl", jsonl({"text": "One."}, {"text": "Two."}))
    assert [d.id for d in iter_documents([path])] == ["c-1", "c-2"]


@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [
        (jsonl({"id": "a", "text": "ok"}) + '{"id": "b", "text": "cut\n', 2, "broken JSON"),
        (jsonl({"id": "a", "title": "no text"}), 1, "no 'text' field"),
        (jsonl({"id": "a", "text": "   "}), 1, "empty text"),
        (jsonl({"id": "a", "text": 5}), 1, "'text' must be a string"),
        ("[1, 2]\n", 1, "expected a JSON object"),
        (jsonl({"id": "a", "text": "x", "date": "15/10/2020"}), 1, "YYYY-MM-DD"),
        (jsonl({"id": "a", "text": "x"}, {"id": "a", "text": "y"}), 2, "duplicate document id 'a'"),
    ],
)
def test_jsonl_bad_records_name_file_and_line(tmp_path, content, line, fragment):
    path = write(tmp_path / "bad.jsonl", content)
    with pytest.raises(InputError) as info:
        list(iter_documents([path]))
    assert info.value.path == str(path) and info.value.line == line
    assert fragment in str(info.value) and f"bad.jsonl:{line}" in str(info.value)


def test_non_utf8_is_an_error_with_a_hint(tmp_path):
    path = write(tmp_path / "latin.txt", "Ankara d\xe9nia.".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin\.txt: not UTF-8 .*iconv"):
        list(iter_documents([path]))
    path = write(tmp_path / "latin.jsonl", b'{"id": "a", "text": "ok"}\n{"id": "b", "text": "d\xe9"}\n')
    with pytest.raises(InputError, match=r"latin\.jsonl:2: not UTF-8"):
        list(iter_documents([path]))


def test_empty_txt_is_an_error(tmp_path):
    write(tmp_path / "empty.txt", "\n  \n")
    with pytest.raises(InputError, match="empty text"):
        list(iter_documents([tmp_path]))


def test_csv_fields_extras_multiline_and_long_text(tmp_path):
    long_text = "Russia. " * 40_000  # > csv's default 128 KiB field limit
    path = tmp_path / "c.csv"
    path.write_text('id,text,outlet,section\nd1,"Line one.\nLine two.",Reuters,world\n'
                    f'd2,"{long_text}",,\n', encoding="utf-8-sig")
    docs = list(iter_documents([path]))
    assert docs[0].text == "Line one.\nLine two." and docs[0].meta == {"outlet": "Reuters", "section": "world"}
    assert docs[1].text == long_text and docs[1].source == f"{path}:4"


@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [
        ("id,body\n1,hello\n", 1, "no 'text' column"),
        ("id,text\n1,hello,extra\n", 2, "row has 3 fields, header has 2"),
        ("id,text\n1,\n", 2, "empty text"),
        ("id,text\n1,a\n1,b\n", 3, "duplicate document id '1'"),
    ],
)
def test_csv_bad_rows_name_file_and_line(tmp_path, content, line, fragment):
    path = write(tmp_path / "bad.csv", content)
    with pytest.raises(InputError) as info:
        list(iter_documents([path]))
    assert info.value.line == line and fragment in str(info.value)


def test_duplicate_ids_across_files_and_formats(tmp_path):
    write(tmp_path / "x" / "a.txt", "One.")
    write(tmp_path / "y.jsonl", jsonl({"id": "a", "text": "Two."}))
    with pytest.raises(InputError, match=r"duplicate document id 'a'.*first seen at .*a\.txt"):
        list(iter_documents([tmp_path]))


def test_folder_is_read_recursively_in_sorted_order_ignoring_other_files(tmp_path):
    write(tmp_path / "b" / "z.txt", "Z.")
    write(tmp_path / "a.jsonl", jsonl({"id": "j", "text": "J."}))
    write(tmp_path / "b" / "c" / "m.csv", "id,text\nm,M.\n")
    write(tmp_path / "notes.md", "not coverage")
    assert [d.id for d in iter_documents([tmp_path])] == ["j", "m", "z"]


def test_unsupported_or_missing_path(tmp_path):
    with pytest.raises(InputError, match="unsupported file type '.md'"):
        list(iter_documents([write(tmp_path / "n.md", "x")]))
    with pytest.raises(InputError, match="no such file or folder"):
        list(iter_documents([tmp_path / "missing"]))


def test_skip_bad_reports_and_continues(tmp_path):
    path = write(tmp_path / "c.jsonl", jsonl({"id": "a", "text": "A."}) + "{oops\n"
                 + jsonl({"id": "a", "text": "again"}, {"id": "c", "text": ""}, {"id": "d", "text": "D."}))
    bad: list[InputError] = []
    docs = list(iter_documents([path], skip_bad=True, on_bad=bad.append))
    assert [d.id for d in docs] == ["a", "d"]
    assert [(e.line, e.reason.split(" (")[0]) for e in bad] == [
        (2, "broken JSON"), (3, "duplicate document id 'a'"), (4, "empty text")]


def test_reading_is_streamed(tmp_path):
    """The second file is not read before the first document is consumed."""
    write(tmp_path / "a.txt", "A.")
    write(tmp_path / "b.jsonl", "{broken\n")
    docs = iter_documents([tmp_path])
    assert next(docs).id == "a"
    with pytest.raises(InputError, match="broken JSON"):
        next(docs)
