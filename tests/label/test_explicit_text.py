"""Explicit notices in text and Markdown: insertion (zh/en, start/end), idempotence, the
checker's rule, front matter and the implicit label kept, bad input left untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from aisec.label.explicit import check_notice
from aisec.label.explicit._common import NoticeError
from aisec.label.explicit.text import check_text, insert_text_notice
from aisec.label.model import AigcLabel
from aisec.label.service import add_label, verify_file
from aisec.notice import is_notice

BODY = "第一段内容。\n\n第二段内容。\n\n第三段。\n\n第四段。\n\n第五段。\n"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("本内容由人工智能生成", True),
        ("AI合成内容", True),
        ("[AI-generated content]", True),
        ("Synthesized by artificial intelligence", True),
        ("人工智能很有用", False),
        ("由模型生成", False),
        ("Send MAIL generated daily", False),
    ],
)
def test_rule(line: str, expected: bool) -> None:
    assert is_notice(line) is expected


@pytest.mark.parametrize(("lang", "where"), [("zh", "start"), ("en", "end"), ("zh", "both")])
def test_insert_then_check(tmp_path: Path, lang: str, where: str) -> None:
    path = tmp_path / "a.txt"
    path.write_text(BODY, encoding="utf-8")
    assert check_text(path).verdict == "not_found"
    done = insert_text_notice(path, lang=lang, where=where)
    assert done.inserted
    text = path.read_text(encoding="utf-8")
    lines = [x for x in text.splitlines() if x.strip()]
    if where in ("start", "both"):
        assert is_notice(lines[0])
    if where in ("end", "both"):
        assert is_notice(lines[-1])
    result = check_notice(path)
    assert result.verdict == "compliant"
    assert bool(result.notes) is (lang == "en")  # English-only wording gets a note
    # Idempotent: a second run changes nothing.
    again = insert_text_notice(path, lang=lang, where=where)
    assert not again.inserted
    assert path.read_text(encoding="utf-8") == text


def test_notice_in_the_middle_is_noncompliant(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("一\n二\n三\n四\n本内容由AI生成\n五\n六\n七\n八\n", encoding="utf-8")
    result = check_text(path)
    assert result.verdict == "noncompliant"
    assert "not within" in result.problems[0]


def test_markdown_after_front_matter_keeps_implicit_label(tmp_path: Path) -> None:
    path = tmp_path / "doc.md"
    path.write_text("---\ntitle: t\n---\n# 标题\n\n正文。\n", encoding="utf-8")
    add_label(path, AigcLabel("1", "producer-x", "id-1"))
    done = insert_text_notice(path, where="both", out=tmp_path / "out.md")
    out = (tmp_path / "out.md").read_text(encoding="utf-8")
    assert out.startswith("---\n")
    front_end = out.index("\n---\n", 4) + 5
    assert out[front_end:].startswith("【本内容由人工智能生成】\n\n# 标题")
    assert out.rstrip().endswith("【本内容由人工智能生成】")
    assert "implicit label kept" in done.notes
    assert verify_file(tmp_path / "out.md").verdict == "compliant"
    assert check_text(tmp_path / "out.md").verdict == "compliant"


def test_custom_wording_must_be_a_notice(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(BODY, encoding="utf-8")
    with pytest.raises(NoticeError, match="must be one line"):
        insert_text_notice(path, notice="仅供参考")
    insert_text_notice(path, notice="提示：本文由AI合成")
    assert path.read_text(encoding="utf-8").startswith("提示：本文由AI合成\n")


def test_binary_file_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    data = b"\xff\xfe\x00binary\x80"
    path.write_bytes(data)
    with pytest.raises(NoticeError, match="not UTF-8"):
        insert_text_notice(path)
    assert path.read_bytes() == data
    result = check_text(path)
    assert result.verdict == "inconclusive"
    assert result.error
    assert not list(tmp_path.glob(".*aisec-tmp*"))


def test_cli_notice_and_check_notice(tmp_path: Path) -> None:
    """`aisec label notice` on a folder (recursive), then `check-notice --format json`
    with the exit codes of `verify`."""
    import json
    import subprocess
    import sys

    aisec = Path(sys.executable).parent / "aisec"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(aisec), *args], capture_output=True, text=True, timeout=120)

    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text(BODY, encoding="utf-8")
    (tmp_path / "sub" / "b.md").write_text("# 标题\n\n正文。\n", encoding="utf-8")
    r = run("label", "check-notice", str(tmp_path), "--format", "json")
    assert r.returncode == 1
    assert [x["verdict"] for x in json.loads(r.stdout)] == ["not_found", "not_found"]
    r = run("label", "notice", str(tmp_path), "--where", "end", "--lang", "en")
    assert r.returncode == 0, r.stderr
    assert "2 file(s) written" in r.stderr
    r = run("label", "check-notice", str(tmp_path), "--format", "json")
    assert r.returncode == 0, r.stdout
    records = json.loads(r.stdout)
    assert {x["modality"] for x in records} == {"text"}
    assert all(x["verdict"] == "compliant" for x in records)
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x80")
    r = run("label", "check-notice", str(tmp_path))
    assert r.returncode == 2
    assert "not UTF-8" in r.stderr
