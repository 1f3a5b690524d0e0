"""Person names in Chinese and English text (`PersonNameRecognizer`).

Chinese names are scored, without a model, from population statistics: the share of the
surname, and for each given-name character the likelihood ratio "in given names" versus
"in running text". The whole text is scored at once with numpy lookup tables; only the
few positions that look like a name, or that follow or precede a context word (我叫,
联系人, 先生, 老师 …), are looked at in Python, where two-character words of ordinary
language (高兴, 王国, 周末, 明天 …) count against a candidate that contains or splits them.

English names are in `aisec.detect.pii.names_en`. `aisec.detect.pii._names` (C) is the
same Chinese scorer, used where it is built: change the scoring here, change it there
(tests/detect/test_pii_native.py compares the two).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

import hyperscan
import numpy as np
import numpy.typing as npt

from aisec.detect.base import Finding, keep_disjoint
from aisec.detect.pii.base import Recognizer, ScanContext
from aisec.detect.pii.gazetteer import load_weights, word_list
from aisec.detect.pii.names_en import english_name_finder, find_english_names
from aisec.detect.pii.native import cached_build, extension
from aisec.runtime import native_enabled
from aisec.text.hsdb import Matcher, compile_database

F32 = npt.NDArray[np.float32]

# Words before a name: (word, bonus). Strong ones name the role of a person.
PREFIX_CONTEXT: dict[str, float] = {
    **dict.fromkeys(
        word_list(
            """
            我叫 名叫 叫做 姓名 名字是 名字叫 联系人 收件人 收货人 寄件人 发件人 患者 病人 申请人 负责人 经办人 法定代表人 法人代表
            签名 署名 签字 持卡人 户主 业主 租客 房东 委托人 被告人 原告 当事人 嫌疑人 证人 本人 我是 他叫 她叫 乘客 学员 考生 员工
            客户 用户 作者 记者 通讯员 主讲人 导师 老公 老婆 妻子 丈夫 儿子 女儿 父亲 母亲 爸爸 妈妈 介绍人 监护人 受益人 投保人
            被保险人 借款人 担保人 开户名 户名 账户名 收款人 付款人 name: 姓名: 联系人: 收件人: 签名: 客户姓名 患者姓名 学生
            同学 同事 朋友 车主 证明人 推荐人 紧急联系人 联络人 对接人 报案人 举报人 投诉人 来访人 访客 住户 租户 买方 卖方
            甲方 乙方 法人 店主 司机 骑手 快递员 值班人 审批人 填表人 制表人
            """
        ),
        2.5,
    ),
    **dict.fromkeys(
        word_list(
            """
            给 和 与 跟 让 请 问 找 告诉 通知 由 向 把 被 对 是 叫 见 及 、 致
            """
        ),
        0.6,
    ),
}
# Words right after a name.
SUFFIX_CONTEXT: dict[str, float] = {
    **dict.fromkeys(
        word_list(
            """
            先生 女士 小姐 老师 经理 同学 医生 教授 主任 律师 总监 总经理 局长 院长 校长 书记 师傅 阿姨 叔叔 博士 护士 警官 同志
            董事长 主管 工程师 会计 处长 科长 部长 厂长 老板 大夫 教练 队长 组长 班长 主席 委员 代表 总裁 助理 秘书 你好 您好
            的电话 的手机 的身份证 的邮箱 的地址 的账户 的银行卡 ,男 ,女 (男 (女 同学们 (收) 收)
            """
        ),
        2.5,
    ),
    **dict.fromkeys(
        word_list(
            """
            说 表示 称 认为 指出 告诉 打电话 今年 出生 男 女 等人 一起 已经 正在 明天 昨天 今天 的 在 是 和 在家 来自 住在 负责
            提出 ,电话 ,手机 ,身份证 电话 手机 身份证 :
            """
        ),
        0.8,
    ),
}
STRONG = 2.5  # bonus of a strong context word
WEAK_PREFIX = {w: b for w, b in PREFIX_CONTEXT.items() if b < STRONG}
WEAK_SUFFIX = {w: b for w, b in SUFFIX_CONTEXT.items() if b < STRONG}
THRESHOLD = 3.5  # score of a name with no context word around it
PRE_THRESHOLD = THRESHOLD - 1.2  # vectorised pre-filter, before word penalties
CONTEXT_FLOOR = 1.4  # the least a candidate beside a strong context word must score
PRE_THREE_PENALTY = 0.6  # what a three-character name gives up in the pre-filter
#: a Chinese name's finding score from its scorer score (`chinese_confidence`): offset,
#: slope, base and cap, in the order the C scorer takes them
CONFIDENCE = (2.5, 0.06, 0.55, 0.95)


def chinese_confidence(score: float) -> float:
    """The finding score of a Chinese name whose scorer score is ``score`` (0.85 at the
    threshold, 0.95 at most). The C scorer computes the same, in the same order."""
    offset, slope, base, cap = CONFIDENCE
    return round(min(cap, base + slope * (score - THRESHOLD + offset)), 3)


@dataclass(frozen=True)
class _Tables:
    surname: F32  # per BMP code point: log10(share per million) - 2, or -9
    given: F32  # per BMP code point: log10 likelihood ratio in given names, or -3
    compound: dict[str, float]
    words: dict[str, float]  # ordinary two-character word -> penalty


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    surname = np.full(0x10000, -9.0, dtype=np.float32)
    compound: dict[str, float] = {}
    for s, ppm in load_weights("zh_surnames.tsv").items():
        score = float(np.log10(ppm)) - 2.0
        if len(s) == 1:
            surname[ord(s)] = score
        else:
            compound[s] = score + 1.0  # a compound surname is itself strong evidence
    given = np.full(0x10000, -3.0, dtype=np.float32)
    for c, lr in load_weights("zh_given_chars.tsv").items():
        given[ord(c)] = min(max(lr, -3.0), 2.5)
    words = {w: min(max(float(np.log10(f)) - 1.2, 0.3), 3.0) for w, f in _word_freqs().items()}
    return _Tables(surname, given, compound, words)


def _word_freqs() -> dict[str, float]:
    return load_weights("zh_words.tsv")


def _context_patterns() -> list[tuple[str, float, bool]]:
    """(word, bonus, is_prefix) for the strong context words, found with Hyperscan.

    Weak ones (给, 说, 的 …) are too frequent to look for: `best` checks them beside a
    candidate that the statistics already found.
    """
    out = [(w, b, True) for w, b in PREFIX_CONTEXT.items() if b >= STRONG]
    out += [(w, b, False) for w, b in SUFFIX_CONTEXT.items() if b >= STRONG]
    # compound surnames (欧阳, 公孙 …): bonus 0, found so that their starts become candidates
    out += [(w, 0.0, False) for w in _tables().compound]
    return out


def _weak_bonus(text: str, start: int, end: int) -> float:
    """Bonus of the weak context words right before ``start`` and right after ``end``."""
    before = max(
        WEAK_PREFIX.get(text[max(0, start - 2) : start], 0.0),
        WEAK_PREFIX.get(text[max(0, start - 1) : start], 0.0),
    )
    after = max(
        WEAK_SUFFIX.get(text[end : end + 2], 0.0), WEAK_SUFFIX.get(text[end : end + 1], 0.0)
    )
    return before + after


# Characters that delimit fields in records and lists ("沈思,13800138000", "简历|王芳|…")
FIELD_SEPARATORS = frozenset(",;|\t\n()[]\uffff")
FIELD_BONUS = 1.2


def _field_bonus(text: str, start: int, end: int) -> float:
    """A name that is a whole field of delimited data (a CSV cell, a "|" column)."""
    before = start == 0 or text[start - 1] in FIELD_SEPARATORS
    after = end == len(text) or text[end] in FIELD_SEPARATORS
    return FIELD_BONUS if before and after else 0.0


@lru_cache(maxsize=1)
def _context_db() -> tuple[Matcher, list[tuple[str, float, bool]]]:
    pats = _context_patterns()
    db = compile_database(
        [_hs_literal(w) for w, _, _ in pats],
        [hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_CASELESS] * len(pats),
    )
    return db, pats


def _hs_literal(word: str) -> bytes:
    return "".join(f"\\x{{{ord(c):x}}}" for c in word).encode("ascii")


class ChineseNameScorer:
    """Scores Chinese name candidates in one text; see the module docstring."""

    def __init__(self, ctx: ScanContext) -> None:
        self.ctx = ctx
        self.text = ctx.text
        self.t = _tables()
        cps = np.frombuffer(ctx.text.encode("utf-32-le"), dtype=np.uint32)
        n = cps.shape[0]
        # code points beyond the BMP look up the last entry ("clip": min(cp, 0xFFFF))
        self.sur: F32 = np.take(self.t.surname, cps, mode="clip")
        # two sentinels so that i+1 and i+2 are always valid
        self.giv: F32 = np.empty(n + 2, dtype=np.float32)
        np.take(self.t.given, cps, mode="clip", out=self.giv[:n])
        self.giv[n:] = -9.0
        self.bonus_at: dict[int, float] = {}  # name start -> prefix context bonus
        self.bonus_before: dict[int, float] = {}  # name end -> suffix context bonus
        self.compound_at: set[int] = set()  # starts of compound surnames

    def _contexts(self) -> None:
        db, pats = _context_db()
        hits: list[tuple[int, int]] = []

        def on_match(pid: int, _s: int, end: int, _f: int, _c: object) -> None:
            hits.append((pid, end))

        db.scan(self.ctx.data, on_match)
        for pid, bend in hits:
            word, bonus, is_prefix = pats[pid]
            end = self.ctx.char_offset(bend)
            if bonus == 0.0:  # a compound surname
                self.compound_at.add(end - len(word))
            elif is_prefix:
                pos = end
                while pos < len(self.text) and self.text[pos] in " :,":
                    pos += 1
                self.bonus_at[pos] = max(self.bonus_at.get(pos, 0.0), bonus)
            else:
                start = end - len(word)
                self.bonus_before[start] = max(self.bonus_before.get(start, 0.0), bonus)

    def candidates(self) -> set[int]:
        """Start offsets worth scoring: name-like statistics, or next to a context word."""
        self._contexts()
        sur, giv = self.sur, self.giv
        n = len(sur)
        two = sur + giv[1 : n + 1]
        three = two + giv[2 : n + 2]
        # in place, on the fresh arrays: max(two, three - PRE_THREE_PENALTY) >= PRE_THRESHOLD
        # at a surname
        np.subtract(three, PRE_THREE_PENALTY, out=three)
        np.maximum(two, three, out=three)
        pre = three >= PRE_THRESHOLD
        pre &= sur > -9
        out: set[int] = set(pre.nonzero()[0].tolist())
        out.update(i for i in self.bonus_at if i < n)
        out.update(self.compound_at)
        for end in self.bonus_before:
            out.update(i for i in (end - 2, end - 3) if i >= 0)
        return out

    def best(self, i: int) -> tuple[int, int, float] | None:
        """The best name starting at ``i``, as ``(start, end, score)``, or ``None``."""
        text, words = self.text, self.words_at
        options: list[tuple[int, float]] = []
        surname_len, base = 1, float(self.sur[i])
        comp = self.t.compound.get(text[i : i + 2])
        if comp is not None:
            surname_len, base = 2, comp
        elif base <= -9:
            return None
        g = i + surname_len
        left_pen = 0.7 * words(i - 1) if i > 0 else 0.0
        for glen in (1, 2):
            parts = self.giv[g : g + glen].tolist()  # plain floats: faster than numpy scalars
            if len(parts) < glen or min(parts) <= -3:
                break
            end = g + glen
            score = base + sum(parts) - left_pen
            first_word = words(i) if surname_len == 1 else 0.0
            score -= first_word if glen == 1 else 0.6 * first_word
            if end < len(text):
                score -= 0.7 * words(end - 1)  # the name would split a word
            if glen == 2:
                # a very common word as the given name (于健康, 段钢琴) is seldom a name
                score += 0.3 - 0.6 * max(0.0, words(g) - 1.5)
            strong = self.bonus_at.get(i, 0.0) + self.bonus_before.get(end, 0.0)
            score += strong if strong else _weak_bonus(text, i, end) + _field_bonus(text, i, end)
            options.append((end, score))
        if not options:
            return None
        end, score = max(options, key=lambda o: o[1])
        has_strong = max(self.bonus_at.get(i, 0.0), self.bonus_before.get(end, 0.0)) >= STRONG
        if score >= THRESHOLD or (has_strong and score - STRONG >= CONTEXT_FLOOR):
            return i, end, score
        return None

    def words_at(self, i: int) -> float:
        """Penalty of the ordinary word text[i:i+2] (0 when it is not one)."""
        return self.t.words.get(self.text[i : i + 2], 0.0)

    def names(self) -> Iterator[tuple[int, int, float]]:
        """Non-overlapping names, best score first wins."""
        found = [b for i in sorted(self.candidates()) if (b := self.best(i)) is not None]
        yield from keep_disjoint(sorted(found, key=lambda f: -f[2]), lambda f: (f[0], f[1]))


_C = extension("_names")  # this scorer in C (None: not built)


def name_scorer() -> Any:
    """The C version of `ChineseNameScorer` (``name_scorer().names(text, data)`` is
    ``list(ChineseNameScorer(ctx).names())`` for ``ctx.text``, ``ctx.data``), or None when
    it is not built or compiled code is switched off."""
    return _compiled_scorer() if _C is not None and native_enabled() else None


@lru_cache(maxsize=1)
def _compiled_scorer() -> Any:
    """The C scorer over this module's tables, word lists and context words."""
    c = _C
    assert c is not None
    t = _tables()
    pats = _context_patterns()
    exprs = [_hs_literal(word) for word, _, _ in pats]
    flags = [hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_CASELESS] * len(pats)
    params = (THRESHOLD, PRE_THRESHOLD, STRONG, CONTEXT_FLOOR, FIELD_BONUS, PRE_THREE_PENALTY)
    args = (
        exprs,
        flags,
        [(len(word), bonus, is_prefix) for word, bonus, is_prefix in pats],
        t.surname,
        t.given,
        t.compound,
        t.words,
        WEAK_PREFIX,
        WEAK_SUFFIX,
        "".join(sorted(FIELD_SEPARATORS)),
        params,
    )
    return cached_build(
        "names",
        c.HYPERSCAN_VERSION,
        list(zip(exprs, flags, strict=True)),
        lambda blob: c.Scorer(*args, database=blob),
        lambda made: made.serialize(),
    )


def _has_han(text: str) -> bool:
    """Whether the Chinese scorer has anything to look at: a text that is not all ASCII
    (a Han character anywhere makes it so; ``str.isascii`` is one C pass)."""
    return not text.isascii()


class PersonNameRecognizer(Recognizer):
    """Chinese and English person names, scored from name statistics and context words."""

    name: ClassVar[str] = "pii.name"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[tuple[str, ...]] = ("pii.person_name",)

    def find(self, ctx: ScanContext) -> Iterable[Finding]:
        """Chinese names (numpy scoring, or its C version `aisec.detect.pii._names` where
        that is built: the same names) and English names (capitalised tokens)."""
        made = (Finding, ("pii.person_name", self.name, self.version))  # (the C parts')
        if _has_han(ctx.text):
            scorer = name_scorer()
            if scorer is not None:  # the findings made in C
                yield from scorer.names(ctx.text, ctx.data, made, CONFIDENCE)
            else:
                for s, e, score in ChineseNameScorer(ctx).names():
                    conf = chinese_confidence(score)
                    yield Finding("pii.person_name", s, e, conf, self.name, self.version)
        finder = english_name_finder()
        if finder is not None:
            yield from finder.names(ctx.text, ctx.data, made)
            return
        for s, e, conf in find_english_names(ctx):
            yield Finding("pii.person_name", s, e, conf, self.name, self.version)
