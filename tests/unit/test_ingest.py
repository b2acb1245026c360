from pathlib import Path

import orjson
import pytest

from streams.ingest import InputError, read_articles


def test_reads_jsonl_json_and_txt_with_derived_ids(tmp_path: Path):
    (tmp_path / "a.jsonl").write_bytes(
        orjson.dumps({"id": "x1", "text": "un"}) + b"\n\n" + orjson.dumps({"text": "deux"}) + b"\n"
    )
    (tmp_path / "b.json").write_bytes(orjson.dumps([{"text": "trois", "url": "u"}]))
    (tmp_path / "c.txt").write_text("quatre\n")
    arts = list(
        read_articles(
            [tmp_path / "a.jsonl", tmp_path / "b.json", tmp_path / "c.txt"], source="test"
        )
    )
    assert [a["text"] for a in arts] == ["un", "deux", "trois", "quatre\n"]
    assert arts[0]["id"] == "x1"
    assert all(a["id"].startswith("ww-") for a in arts[1:])
    again = list(read_articles([tmp_path / "c.txt"], source="test"))
    assert again[0]["id"] == arts[3]["id"]


def test_bad_line_names_file_and_line(tmp_path: Path):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"text": "ok"}\n{oops\n')
    with pytest.raises(InputError, match=r"bad\.jsonl:2"):
        list(read_articles([bad]))
