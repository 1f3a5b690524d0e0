"""`aisec scan` end to end through the installed console script (real exit codes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

AISEC = Path(sys.executable).parent / "aisec"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AISEC), *args], input=stdin, capture_output=True, text=True, timeout=120, env=env
    )


def test_version_and_help() -> None:
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("aisec ")
    parts = r.stdout.splitlines()[1]
    assert parts.startswith("compiled parts: ")
    if os.environ.get("AISEC_REQUIRE_NATIVE") == "1":  # `make test`: every part is built
        assert parts.count(",") == 6 and "PII candidates" in parts and "English names" in parts
    off = run("--version", env={**os.environ, "AISEC_NATIVE": "0"})
    assert "switched off (AISEC_NATIVE=0)" in off.stdout or "none built" in off.stdout
    r = run("--help")
    assert r.returncode == 0
    for face in ("scan", "lexicon", "policy", "unredact", "keygen"):
        assert face in r.stdout


def test_scan_text_jsonl_offsets_and_exit_code() -> None:
    text = "请联系13800138000"
    r = run("scan", "-t", text, "-t", "没有敏感信息", "-f", "jsonl")
    assert r.returncode == 1, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["id"] for x in lines] == ["text:1", "text:2"]
    f = lines[0]["findings"][0]
    assert f["kind"] == "pii.cn_mobile"
    assert text[f["start"] : f["end"]] == "13800138000"
    assert lines[1]["findings"] == []
    assert "13800138000" not in r.stderr  # the summary never echoes raw values


def test_clean_text_exits_zero() -> None:
    r = run("scan", "-t", "今天天气很好。", "-f", "jsonl")
    assert r.returncode == 0, r.stderr


def test_scan_stdin_lines() -> None:
    r = run("scan", "-f", "jsonl", stdin="first line\nmail me: x.y@example.org\n")
    assert r.returncode == 1
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["id"] for x in lines] == ["stdin:1", "stdin:2"]
    assert lines[1]["findings"][0]["kind"] == "pii.email"


def test_jsonl_fields_and_redacted_output(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({"uid": "u1", "msg": {"body": "我的邮箱是 a.b@example.com"}}, ensure_ascii=False)
        + "\n"
        + json.dumps({"uid": "u2", "msg": {"body": "你好"}}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    r = run(
        "scan",
        str(src),
        "--text-field",
        "msg.body",
        "--id-field",
        "uid",
        "-f",
        "jsonl",
        "--redact",
        str(out),
    )
    assert r.returncode == 1, r.stderr
    assert [json.loads(x)["id"] for x in r.stdout.splitlines()] == ["u1", "u2"]
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert rows[0] == {"uid": "u1", "msg": {"body": "我的邮箱是 <邮箱>"}}
    assert rows[1] == {"uid": "u2", "msg": {"body": "你好"}}


def test_example_folder_redacts_every_file(tmp_path: Path) -> None:
    out = tmp_path / "red"
    r = run(
        "scan",
        str(EXAMPLES / "data"),
        "--policy",
        str(EXAMPLES / "policy.yaml"),
        "--redact",
        str(out),
    )
    assert r.returncode == 1, r.stderr
    produced = sorted(p.name for p in out.iterdir())
    assert produced == sorted(p.name for p in (EXAMPLES / "data").iterdir())
    red = (out / "customer_service.jsonl").read_text(encoding="utf-8")
    assert "110105********" in red
    # hard negatives survive untouched
    assert "20240101123045" in red and "6222021234567890124" in red
    assert "Summary" in r.stdout


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (None, ["scan", "missing.txt"], "no such file or folder"),
        ("binary", ["scan", "{p}"], "binary"),
        ("latin1", ["scan", "{p}"], "not valid UTF-8"),
        ("badjsonl", ["scan", "{p}"], ":2: malformed JSON line"),
        ("nofield", ["scan", "{p}"], "no field 'text'"),
        ("badpolicy", ["scan", "-p", "{p}", "-t", "x"], "unknown key"),
        (None, ["scan", "--no-such-flag"], "No such option"),
    ],
)
def test_errors_are_one_line_exit_2(
    tmp_path: Path, setup: str | None, args: list[str], message: str
) -> None:
    p = tmp_path / "input.jsonl"
    if setup == "binary":
        p = tmp_path / "x.txt"
        p.write_bytes(b"abc\x00\x01\x02")
    elif setup == "latin1":
        p = tmp_path / "x.txt"
        p.write_bytes("ok\ncaf\xe9\n".encode("latin-1"))
    elif setup == "badjsonl":
        p.write_text('{"text": "ok"}\n{"text": \n', encoding="utf-8")
    elif setup == "nofield":
        p.write_text('{"body": "ok"}\n', encoding="utf-8")
    elif setup == "badpolicy":
        p = tmp_path / "p.yaml"
        p.write_text("version: 1\nactionz: {}\n", encoding="utf-8")
    r = run(*[a.format(p=p) for a in args])
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_failed_scan_leaves_no_partial_output(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "a@b.cn"}\nnot json\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = run("scan", str(src), "--redact", str(out))
    assert r.returncode == 2
    assert not out.exists()
    assert not list(tmp_path.glob(".out.jsonl.*"))


def test_encrypt_then_unredact_round_trip(tmp_path: Path) -> None:
    key = tmp_path / "k.key"
    assert run("keygen", "--out", str(key)).returncode == 0
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    pol = tmp_path / "p.yaml"
    pol.write_text(
        "version: 1\nactions: {default: flag, pii.*: redact:encrypt}\n", encoding="utf-8"
    )
    src = tmp_path / "in.txt"
    src.write_text("电话 13800138000\n无\n", encoding="utf-8")
    red = tmp_path / "red.txt"
    r = run("scan", str(src), "-p", str(pol), "--redact", str(red), "--key-file", str(key))
    assert r.returncode == 1, r.stderr
    assert "13800138000" not in red.read_text(encoding="utf-8")
    r = run("unredact", str(red), "--key-file", str(key))
    assert r.returncode == 0, r.stderr
    assert r.stdout == src.read_text(encoding="utf-8")
    # without a key the scan refuses before touching anything
    r = run(
        "scan",
        str(src),
        "-p",
        str(pol),
        "--redact",
        str(tmp_path / "x.txt"),
        env={"PATH": "/usr/bin"},
    )
    assert r.returncode == 2 and "no key" in r.stderr


def test_policy_init_and_check(tmp_path: Path) -> None:
    p = tmp_path / "pol.yaml"
    assert run("policy", "init", str(p)).returncode == 0
    r = run("policy", "check", str(p))
    assert r.returncode == 0 and "valid policy" in r.stdout
    r = run("policy", "init", str(p))
    assert r.returncode == 2 and "exists" in r.stderr


def test_json_array_and_csv_round_trip(tmp_path: Path) -> None:
    src = tmp_path / "rows.json"
    src.write_text(
        json.dumps([{"k": 1, "text": "邮箱 a@b.cn"}, {"k": 2, "text": "无"}], ensure_ascii=False),
        encoding="utf-8",
    )
    out = tmp_path / "red"
    out.mkdir()
    csv_src = tmp_path / "rows.csv"
    csv_src.write_text('id,text,note\n1,电话 13800138000,x\n2,"逗号, 引号""",y\n', encoding="utf-8")
    r = run("scan", str(src), str(csv_src), "--redact", str(out), "-f", "jsonl")
    assert r.returncode == 1, r.stderr
    assert json.loads((out / "rows.json").read_text(encoding="utf-8")) == [
        {"k": 1, "text": "邮箱 <邮箱>"},
        {"k": 2, "text": "无"},
    ]
    lines = (out / "rows.csv").read_text(encoding="utf-8").splitlines()
    assert lines == ["id,text,note", "1,电话 138****8000,x", '2,"逗号, 引号""",y']


def test_lone_surrogate_escapes_are_scanned_and_written_back(tmp_path: Path) -> None:
    # JSON may carry half an emoji ("\\ud83d"); no UTF-8 file can hold it as a character
    src = tmp_path / "rows.jsonl"
    src.write_text('{"text": "\\ud83d 电话 13800138000 \\udcff", "note": "\\udfff"}\n', "utf-8")
    arr = tmp_path / "rows.json"
    arr.write_text('[{"text": "\\u90ae\\u7bb1\\ud800 a@b.cn"}]', "ascii")
    out = tmp_path / "red"
    out.mkdir()
    r = run("scan", str(src), str(arr), "--redact", str(out), "-f", "jsonl")
    assert r.returncode == 1, r.stderr
    found = [json.loads(x)["findings"] for x in r.stdout.splitlines()]
    assert [f["kind"] for f in found[0]] == ["pii.cn_mobile"]
    assert (found[0][0]["start"], found[0][0]["end"]) == (5, 16)  # offsets of the original
    assert [f["kind"] for f in found[1]] == ["pii.email"]
    data = (out / "rows.jsonl").read_bytes().decode("utf-8")  # valid UTF-8
    assert json.loads(data) == {"text": "\ud83d 电话 138****8000 \udcff", "note": "\udfff"}
    assert "电话" in data  # non-ASCII stays as itself
    assert json.loads((out / "rows.json").read_bytes().decode("utf-8")) == [
        {"text": "邮箱\ud800 <邮箱>"}
    ]


def test_csv_cell_longer_than_the_csv_modules_default_limit(tmp_path: Path) -> None:
    src = tmp_path / "long.csv"
    long = "很长的文本内容，" * 20_000  # 160,000 characters in one cell (csv's default: 131,072)
    src.write_text(f"id,text\n1,{long}13800138000\n2,短\n", encoding="utf-8")
    r = run("scan", str(src), "-f", "jsonl")
    assert r.returncode == 1, r.stderr
    found = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["id"] for x in found] == ["long.csv:1", "long.csv:2"]
    assert found[0]["findings"][0]["start"] == len(long)


def test_json_nested_deeper_than_the_parser_goes(tmp_path: Path) -> None:
    src = tmp_path / "deep.jsonl"
    src.write_text('{"text": "ok"}\n{"text": ' + "[" * 100_000 + "]" * 100_000 + "}\n", "utf-8")
    r = run("scan", str(src))
    assert r.returncode == 2
    assert "deep.jsonl:2: JSON nested too deeply" in r.stderr and "Traceback" not in r.stderr
    src.write_text('{"text": "ok", "n": ' + "[" * 900 + "]" * 900 + "}\n", "utf-8")  # parsed
    r = run("scan", str(src), "--redact", str(tmp_path / "out.jsonl"))
    assert r.returncode == 2 and "deep.jsonl:1: JSON nested too deeply" in r.stderr


def test_json_array_over_the_whole_file_limit(tmp_path: Path) -> None:
    src = tmp_path / "big.json"
    with src.open("wb") as fh:  # sparse: 1 GiB + 1 byte without writing them
        fh.truncate((1 << 30) + 1)
    r = run("scan", str(src))
    assert r.returncode == 2
    assert "write it as JSONL" in r.stderr and "Traceback" not in r.stderr


def test_csv_without_the_text_column(tmp_path: Path) -> None:
    src = tmp_path / "rows.csv"
    src.write_text("a,b\n1,2\n", encoding="utf-8")
    r = run("scan", str(src))
    assert r.returncode == 2
    assert "no column 'text'" in r.stderr and "--text-field" in r.stderr
