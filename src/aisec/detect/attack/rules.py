"""Hand-written rules for the unmistakable prompt-attack phrasings (Chinese and English).

Each rule is a Hyperscan regular expression over the normalised text (full-width,
traditional, spaced letters and zero-width characters are already folded), with the kind it
signals and a score. Rules are kept narrow — they must never fire on the hard benign prompts
("请忽略我上一条消息里的错别字", "安卓手机的开发者模式怎么打开", "扮演面试官问我三个问题");
the broad, fuzzy cases are the trained model's job.
"""

from __future__ import annotations

from dataclasses import dataclass

import hyperscan

from aisec.text.hsdb import Matcher, byte_to_char, compile_database

INJ, JB, LEAK = "attack.injection", "attack.jailbreak", "attack.prompt_leak"


@dataclass(frozen=True, slots=True)
class Rule:
    """One pattern: its name, the kind it signals and its score."""

    name: str
    kind: str
    score: float
    pattern: str


_ZH_IGNORE = r"(忽略|无视|忽视|不要理会|不要管|别管|抛开|丢弃|忘掉|忘记|清除|抹去|不再遵守|不要再遵守|停止遵守)"
_ZH_SCOPE = r"(以上|上面|之前|前面|先前|此前|上述|刚才|原来|原先|最初|所有|全部|一切|任何)"
_ZH_WHAT = r"(指令|指示|提示词?|规则|设定|约束|命令|限制|系统提示)"
_EN_IGNORE = r"(ignore|disregard|forget|skip|override|bypass|neglect|do not follow|don't follow|stop following)"
_EN_SCOPE = (
    r"(previous|prior|above|earlier|preceding|foregoing|former|original|initial|all|any|your|the)"
)
_EN_WHAT = r"(instructions?|prompts?|rules|directions|directives|guidelines|commands|context|programming|constraints)"
_LEAK_VERB = r"(输出|打印|告诉我|显示|展示|复述|重复|泄露|透露|给我看|列出|念出)"
_LEAK_OBJ = r"(系统提示词?|系统消息|系统指令|初始(指令|提示词?|设定)|最初的(指令|设定|提示词?)|预设提示词?|隐藏的?(指令|提示词?)|system ?prompt)"

RULES: tuple[Rule, ...] = (
    # --- instruction override ---------------------------------------------------------------
    Rule(
        "zh_override",
        INJ,
        0.95,
        _ZH_IGNORE + r"(掉)?(你)?(收到的)?" + _ZH_SCOPE + r"[^。！？\n]{0,8}" + _ZH_WHAT,
    ),
    Rule(
        "zh_override_void",
        INJ,
        0.9,
        _ZH_SCOPE + r"的?" + _ZH_WHAT + r"(已|都)?(失效|作废|无效|不再有效)",
    ),
    Rule("zh_new_instruction", INJ, 0.8, r"(你的新(任务|指令|身份)是|新的指令[:：]|真正的任务是)"),
    Rule(
        "zh_ai_notice",
        INJ,
        0.85,
        r"(给AI的指令|AI助手请注意|如果你是正在阅读[^。\n]{0,12}(模型|AI))",
    ),
    Rule(
        "en_override",
        INJ,
        0.95,
        r"\b"
        + _EN_IGNORE
        + r"\s+(all\s+|any\s+|of\s+)?(the\s+|your\s+|my\s+)?"
        + _EN_SCOPE
        + r"\s+(\w+\s+)?"
        + _EN_WHAT
        + r"\b",
    ),
    Rule("en_new_instructions", INJ, 0.8, r"\b(new|updated|real) instructions?\s*(are|is)?\s*:"),
    Rule(
        "en_ai_notice",
        INJ,
        0.85,
        r"\b(if you are an? (ai|llm|language model|assistant)[^.\n]{0,40}(reading|processing))"
        r"|\b(attention|note) (to|for) (the )?(ai|llm|assistant|language model)\b",
    ),
    # --- jailbreaks ---------------------------------------------------------------------------
    Rule(
        "dan",
        JB,
        0.95,
        r"\bdo anything now\b|现在可以做任何事|\b(you are|act as|pretend to be|扮演|你是|你现在是)\s*dan\b",
    ),
    Rule(
        "en_devmode",
        JB,
        0.95,
        r"\bdeveloper mode (enabled|output|response)|\b(chatgpt|ai|you)\b[^.\n]{0,40}\bwith developer mode\b",
    ),
    Rule(
        "zh_devmode",
        JB,
        0.9,
        r"开发者模式[^。\n]{0,30}(无视|不受|没有任何限制|任何内容|内容政策|审查|两个版本)",
    ),
    Rule(
        "en_no_limits",
        JB,
        0.85,
        r"\b(without|no|free (of|from)|not bound by|doesn't have|does not have|ignores?) (any )?"
        r"(ethical|moral|content|openai)\s+(restrictions|guidelines|boundaries|polic(y|ies)|filters?)",
    ),
    Rule(
        "zh_no_limits",
        JB,
        0.85,
        r"(没有任何|不受任何|摆脱了?|无视)(道德|法律|伦理|规则|内容政策|安全规范)?[^。\n]{0,6}(限制|约束|底线|政策|规范)"
        r"[^。\n]{0,30}(AI|人工智能|助手|模型|你)",
    ),
    Rule(
        "en_grandma",
        JB,
        0.9,
        r"\b(dead|deceased|late|passed away)\b[^.\n]{0,30}\bgrand(ma|mother|pa|father)\b"
        r"|\bgrand(ma|mother)\b[^.\n]{0,60}\b(used to|would)\b[^.\n]{0,40}\b(tell|read|recite|sing)\b",
    ),
    Rule("zh_grandma", JB, 0.9, r"(过世|去世|已故|死去|离世)的?(奶奶|外婆|祖母|爷爷|外公)"),
    # --- prompt extraction --------------------------------------------------------------------
    Rule("zh_leak", LEAK, 0.95, _LEAK_VERB + r"(一下)?(你|您)?的?(全部|完整)?" + _LEAK_OBJ),
    Rule(
        "zh_leak_repeat",
        LEAK,
        0.9,
        r"(重复|复述|逐字输出)(一遍)?(上面|以上|之前|这段对话之前)的(文字|内容|所有话|话)",
    ),
    Rule(
        "en_leak",
        LEAK,
        0.95,
        r"\b(reveal|print|output|show|display|repeat|tell me|what (is|are)|leak|share)\s+(me\s+)?"
        r"(your|the)\s+(full\s+|entire\s+|exact\s+)?(system prompt|initial (prompt|instructions)"
        r"|hidden (prompt|instructions)|original (prompt|instructions)|pre-?prompt)",
    ),
    Rule(
        "en_leak_repeat",
        LEAK,
        0.9,
        r"\b(repeat|print|output)\s+(the\s+)?(text|words|everything|all)\s+(above|before this)",
    ),
)


class RuleSet:
    """All `RULES` compiled into one Hyperscan database."""

    def __init__(self, rules: tuple[Rule, ...] = RULES) -> None:
        self.rules = rules
        # no start-of-match: SOM makes these bounded UTF-8 repeats too large to compile, and
        # a finding covers the whole sentence around a match's end anyway
        flags = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_SINGLEMATCH
        self._matcher: Matcher = compile_database(
            [r.pattern.encode("utf-8") for r in rules], [flags] * len(rules)
        )

    def hits(self, text: str) -> list[tuple[Rule, int]]:
        """``(rule, end)``: each rule that matches ``text``, with the character offset where
        its first match ends."""
        data = text.encode("utf-8")
        raw: dict[int, int] = {}

        def on_match(pid: int, _s: int, end: int, _f: int, _c: object) -> None:
            raw.setdefault(pid, end)

        self._matcher.scan(data, on_match)
        if not raw:
            return []
        b2c = byte_to_char(data)
        return sorted(((self.rules[p], int(b2c[e])) for p, e in raw.items()), key=lambda h: h[1])
