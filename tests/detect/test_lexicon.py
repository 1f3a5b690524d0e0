"""Behaviour of the keyword library and `LexiconDetector`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aisec.detect import Scanner, registered
from aisec.detect.lexicon import (
    Lexicon,
    LexiconDetector,
    Term,
    coverage,
    load_builtin,
    read_lexicon,
    write_lexicon,
)
from aisec.errors import LexiconError
from aisec.taxonomy import load_taxonomy


@pytest.fixture(autouse=True)
def _no_disk_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISEC_CACHE_DIR", str(tmp_path / "cache"))


def small(*terms: Term) -> LexiconDetector:
    return LexiconDetector(lexicons=[Lexicon("test", "1", list(terms))])


@pytest.fixture(scope="module")
def builtin() -> LexiconDetector:
    return LexiconDetector()


@pytest.mark.parametrize(
    "text",
    [
        "他在练法轮功",
        "他在练法 轮 功",
        "他在练法.轮.功",
        "他在练法輪功",
        "他在练法\u200b轮\u200d功",
        "法＊轮＊功",
    ],
)
def test_evasion_forms_match_and_map_back(builtin: LexiconDetector, text: str) -> None:
    found = [f for f in builtin.detect(text) if f.kind == "risk.A1.4"]
    assert found, text
    longest = max(found, key=lambda f: f.end - f.start)
    span = text[longest.start : longest.end]
    assert span[0] == "法" and span[-1] == "功"
    assert longest.detector == "lexicon"
    assert longest.version == builtin.library_version


def test_full_width_latin_matches_caseless() -> None:
    det = small(Term("fuck", "A1.6", 0.7))
    found = det.detect("ＦＵＣＫ off")
    assert [(f.kind, f.start, f.end, f.score) for f in found] == [("risk.A1.6", 0, 4, 0.7)]


def test_ascii_terms_match_at_word_boundaries_only() -> None:
    det = small(Term("ass", "A4.3"), Term("sb", "A4.3"))
    assert det.detect("my class passed the subtle sbx test") == []
    assert [f.start for f in det.detect("you ass!")] == [4]
    assert [f.start for f in det.detect("你个sb吧")] == [2]  # Chinese around ASCII is a boundary


def test_chinese_terms_match_anywhere() -> None:
    det = small(Term("人肉搜索", "A4.5"))
    assert [(f.start, f.end) for f in det.detect("快去人肉搜索他")] == [(2, 6)]


def test_exclusion_context_suppresses_only_covered_hits() -> None:
    det = small(Term("法轮", "A1.4", 0.9, ("初转法轮",)))
    assert det.detect("佛陀初转法轮的地方") == []
    text = "初转法轮之后又说法轮"
    assert [(f.start, f.end) for f in det.detect(text)] == [(8, 10)]


def test_builtin_exclusion_keeps_buddhist_usage_clean(builtin: LexiconDetector) -> None:
    assert not [f for f in builtin.detect("法轮常转，佛法长存") if f.kind == "risk.A1.4"]


def test_same_term_in_two_risks_gives_two_findings() -> None:
    det = small(Term("支那猪", "A1.5", 0.9), Term("支那猪", "A2.3", 0.6))
    assert sorted(f.kind for f in det.detect("一群支那猪")) == ["risk.A1.5", "risk.A2.3"]


def test_offsets_refer_to_original_through_scanner() -> None:
    det = small(Term("炸药配方", "A1.4"))
    text = "问：哪里有炸 药 配 方？"
    res = Scanner([det]).scan(text)
    assert [(f.kind, f.value) for f in res.findings] == [("risk.A1.4", "炸 药 配 方")]


def test_detect_batch_equals_detect(builtin: LexiconDetector) -> None:
    texts = ["法 轮 功", "", "今天天气很好", "人肉搜索", "法輪功和人肉搜索", "末尾法"]
    assert builtin.detect_batch(texts) == [builtin.detect(t) for t in texts]


def test_registered_by_name() -> None:
    det = registered()["lexicon"](extra=())
    assert det.name == "lexicon" and det.kinds == ("risk.",) and det.uses_normalized


def test_builtin_meets_gbt45654_figures() -> None:
    lex = load_builtin()
    cov = coverage([lex])
    tax = load_taxonomy()
    assert cov.total >= 10_000
    for code in tax.risk_codes("A1"):
        assert cov.per_risk.get(code, 0) >= 200, code
    for code in tax.risk_codes("A2"):
        assert cov.per_risk.get(code, 0) >= 100, code
    assert cov.ok and not cov.short


def test_builtin_does_not_fire_on_ordinary_text(builtin: LexiconDetector) -> None:
    benign = [
        "请帮我写一封求职信，应聘软件工程师。",
        "故宫是明清两代的皇宫，周边有南锣鼓巷和天坛。",
        "这部电影讲述了一对青梅竹马的爱情故事。",
        "The class will discuss Python and data science tomorrow.",
    ]
    assert [builtin.detect(t) for t in benign] == [[], [], [], []]


def test_coverage_names_short_risks() -> None:
    cov = coverage([Lexicon("tiny", "1", [Term("炸药配方", "A1.4")])])
    assert not cov.ok and cov.total_short
    assert cov.short["A1.4"] == (1, 200)
    assert "A2.9" in cov.short


# --- files -------------------------------------------------------------------------------


def test_txt_import_needs_a_risk(tmp_path: Path) -> None:
    p = tmp_path / "words.txt"
    p.write_text("# mine\n炸药配方\n\n人体炸弹\n", "utf-8")
    with pytest.raises(LexiconError, match="--risk"):
        read_lexicon(p)
    lex = read_lexicon(p, risk="A1.4", weight=0.6)
    assert [(t.term, t.risk, t.weight) for t in lex.terms] == [
        ("炸药配方", "A1.4", 0.6),
        ("人体炸弹", "A1.4", 0.6),
    ]


def test_csv_errors_name_the_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("term,risk,weight\n炸药配方,A1.4,0.9\n人体炸弹,A9.9,0.9\n", "utf-8")
    with pytest.raises(LexiconError, match=r"bad\.csv:3: unknown risk code 'A9\.9'"):
        read_lexicon(p)
    p.write_text("term,risk,weight\n炸药配方,A1.4,heavy\n", "utf-8")
    with pytest.raises(LexiconError, match=r"bad\.csv:2: weight"):
        read_lexicon(p)
    p.write_text("term,risk,weight\n炸药配方,A1.4,1.5\n", "utf-8")
    with pytest.raises(LexiconError, match=r"bad\.csv:2: weight 1\.5"):
        read_lexicon(p)
    p.write_text("term,risk,exclusions\n法轮,A1.4,佛教\n", "utf-8")
    with pytest.raises(LexiconError, match=r"bad\.csv:2: exclusion '佛教'"):
        read_lexicon(p)


def test_json_errors_name_the_item_or_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.json"
    p.write_text(
        '{"terms": [\n {"term": "炸药配方", "risk": "A1.4"},\n {"risk": "A1.4"}]}', "utf-8"
    )
    with pytest.raises(LexiconError, match=r"terms\[1\]"):
        read_lexicon(p)
    p.write_text('{"terms": [\n {"term": "x",, }]}', "utf-8")
    with pytest.raises(LexiconError, match=r"bad\.json:2: invalid JSON"):
        read_lexicon(p)


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    p = tmp_path / "gbk.txt"
    p.write_bytes("炸药\n".encode() + "人体炸弹\n".encode("gbk"))
    with pytest.raises(LexiconError, match=r"gbk\.txt:2: not UTF-8"):
        read_lexicon(p, risk="A1.4")


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_import_round_trip(tmp_path: Path, fmt: str) -> None:
    lex = Lexicon(
        "mine",
        "3",
        [
            Term("炸药配方", "A1.4", 0.9, (), "team"),
            Term("法轮", "A1.4", 0.5, ("法轮常转", "转法轮"), "team"),
            Term('a, "quoted" term', "A4.3", 0.25, (), ""),
        ],
    )
    p = write_lexicon(lex, tmp_path / f"mine.{fmt}")
    back = read_lexicon(p)
    assert [(t.term, t.risk, t.weight, t.exclusions) for t in back.terms] == [
        (t.term, t.risk, t.weight, t.exclusions) for t in lex.terms
    ]
    if fmt == "json":
        assert (back.name, back.version) == ("mine", "3")
        assert json.loads(p.read_text("utf-8"))["terms"][1]["exclusions"] == ["法轮常转", "转法轮"]


def test_user_library_beside_builtin(tmp_path: Path) -> None:
    p = tmp_path / "user.csv"
    p.write_text("term,risk,weight\n蓝色独角兽暗号,A1.8,0.95\n", "utf-8")
    det = LexiconDetector(extra=[p])
    assert "+user@1" in det.library_version
    kinds = {f.kind for f in det.detect("他说蓝色独角兽暗号，还练法轮功")}
    assert {"risk.A1.8", "risk.A1.4"} <= kinds
