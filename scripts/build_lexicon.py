"""Build the built-in keyword library of the rule pack from the seeds and the team's lists.

    .venv/bin/python scripts/build_lexicon.py [--data ../shared/data] [--report]

Inputs (read by path, never copied into the repo):

- ``lexicon-seed/Vocabulary/*.txt`` — konsheng/Sensitive-lexicon (MIT), noisy category lists;
- ``swsr/SexHateLex.txt`` — the SWSR sexism lexicon (MIT), gender-specific entries only;
- ``src/aisec/packs/tc260-2026-01/lexicon/team/*.txt`` — lists the aisec team wrote, one per
  risk (``A2.4.txt``); a line ``@a{x|y}b`` expands to ``axb`` and ``ayb``;
  ``team/stop.txt`` lists seed terms we drop (ordinary words, bare names of people).

Curation: URLs, phone/QQ numbers, single characters and over-long phrases are dropped;
each seed term is mapped to a GB/T 45654 risk by its list and by the rules in ``RULES``
(a term no rule places is dropped, not guessed); then every candidate is run over the
*even-numbered* documents of three benign corpora (KdConv dialogues, Xinhua idioms and
xiehouyu, PlexPt prompts): a term that hits 3 or more benign documents is dropped, one that
hits 1–2 keeps a lower weight. The odd-numbered documents are kept apart to measure the
false-positive rate honestly (``--report``).

Output: ``lexicon/A1.tsv``, ``A2.tsv``, ``A3-A5.tsv`` (term, risk, weight, exclusions,
source) and ``lexicon.yaml``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from aisec.detect.lexicon.engine import LiteralMatcher
from aisec.detect.lexicon.model import normalize_many
from aisec.taxonomy import load_taxonomy
from aisec.text import normalize

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "src/aisec/packs/tc260-2026-01/lexicon"
NAME = "tc260-builtin"
VERSION = "2026.01.1"
SEED_COMMIT = "5a8da94c61c160e203a6b2fcfafbea642404d50c"

# Seed list → default risk (None: the list is mixed, only RULES may place a term).
FILE_RISK: dict[str, str | None] = {
    "色情类型.txt": "A1.6",
    "色情词库.txt": "A1.6",
    "暴恐词库.txt": "A1.4",
    "涉枪涉爆.txt": "A1.8",
    "COVID-19词库.txt": "A1.7",
    "贪腐词库.txt": "A1.1",
    "反动词库.txt": "A1.1",
    "政治类型.txt": "A1.2",
    "民生词库.txt": None,
    "广告类型.txt": None,
    "其他词库.txt": None,
    "补充词库.txt": None,
    "GFW补充词库.txt": None,
    "网易前端过滤敏感词库.txt": None,
    "零时-Tencent.txt": None,
    "新思想启蒙.txt": None,  # internet slang, not a risk: skipped entirely
}
SKIP_FILES = {"非法网址.txt", "新思想启蒙.txt"}

# Ordered rules on the normalised term: the first that matches decides the risk.
RULES: list[tuple[str, str]] = [
    # spelt-out evasions of the most filtered names (cult, party, leader insults) come first
    ("A1.4", r"[法发乏阀珐][轮抡仑伦沦论纶]|车仑|[论轮]公|lun功|fa\d?车仑|氵去|lihongzhi|发正念"),
    (
        "A1.1",
        r"[共功供工拱哄公狗贡匪][产铲惨残掺谗馋缠]|[产铲惨残掺谗][党挡档裆当谠铛]|g产|gc党|"
        r"gongchan|gongcan|镰锤|红朝|赤匪|共匪|匪共|共妻|中共|土共|邪党|恶党",
    ),
    (
        "A1.2",
        r"刁[近进斤远鞑哒王司]|习(皇|包|武帝|素鸡|李|薄|太子)|辶斤平|[瘟温闻][加家夹][宝鸨饱包保]|"
        r"胡[紧惊景][涛掏套]|湖[紧贱]|江(流氓|猪|贼|core|戏子|蛤蟆|派|氏|x|绵)|太上皇|红色禅让|"
        r"朱镕鸡|毛贼|毛(僵尸|腊肉)|将则民|姜[蔗哲]|则民|ze民|总书记(的|之)|主席(的|之)?(丑|病|死)",
    ),
    (
        "A4.3",
        r"傻逼|傻b|煞笔|沙比|草你|操你|日你|干你|你妈|他妈的|妈的|王八蛋|杂种|狗日|婊子养|"
        r"全家不得好死|全家死|去死吧|死全家|狗娘养|龟儿子|贱人|贱货|畜生|人渣|脑残|白痴|废物|"
        r"sb|nmsl|cnm|tmd|贱",
    ),
    ("A2.3", r"棒子|毛子|鬼子|阿三|膏药旗|小日本|倭|黑鬼|猴子|洋鬼|美帝|白皮猪|黄皮|尼哥|黑蛆"),
    ("A2.4", r"南蛮|达子|蛮子|北佬|捞仔|外地佬|乡巴佬|[河湖]南人.*(骗|祸害|偷)|地域黑"),
    # A1.3 secession and splitting the country
    (
        "A1.3",
        r"台独|藏独|疆独|港独|蒙独|东突|独立建国|西藏独立|台湾独立|新疆独立|香港独立|达赖|"
        r"热比娅|雪山狮子|藏青会|流亡政府|自由西藏|分裂(国家|祖国)|一中一台|两个中国|台湾国|"
        r"东土耳其斯坦|世维会|疆独|藏人行政|民族分裂|独立运动|光复香港|港人建国|独立|独$|duli|taidu|"
        r"dalai|西藏(青年|流亡|独立|之页|自由|人权|论坛|国际|支持|314)|支持西藏|藏人|314事件|维吾尔|"
        r"突厥|民族论|自决|建国|联邦|台湾党|台联|中华民国|青天白日|收复大陆|反攻大陆",
    ),
    # A1.4 terrorism, extremism, cults, explosives
    (
        "A1.4",
        r"恐怖|圣战|基地组织|伊斯兰国|\bisis\b|塔利班|本拉登|拉登|自杀式|人体炸弹|炸弹|炸药|"
        r"雷管|爆炸|燃烧弹|tnt|硝酸甘油|硝铵|黑索金|土制|劫机|投毒|恐袭|暴恐|爆破|起爆|引爆|"
        r"法轮|轮功|法lun|大法|李洪志|洪志|真善忍|全能神|门徒会|统一教|观音法门|清海无上师|"
        r"呼喊派|被立王|三班仆人|灵灵教|主神教|新唐人|大纪元|明慧|正见网|九评|退党|神韵|"
        r"邪教|\bflg\b|falun|dafa|圣殿|天灭|末日审判",
    ),
    # A1.5 ethnic hatred
    ("A1.5", r"支那|中国猪|台湾猪|汉狗|灭族|杀光|种族灭绝|民族仇恨|汉奸民族|劣等民族"),
    # A1.6 obscenity and violence
    (
        "A1.6",
        r"淫|奸|屄|肏|屌|鸡巴|几把|阴茎|阴道|阴唇|阴蒂|阴户|阴毛|阳具|龟头|乳交|乳头|巨乳|爆乳|"
        r"豪乳|美乳|插穴|小穴|嫩穴|骚|做爱|性交|口交|肛交|足交|乳房|裸|一夜情|援交|卖淫|嫖|妓|"
        r"色情|成人(电影|图片|小说|网站|视频|影片|论坛|文学|游戏|片|dv|图)|黄片|a片|av女|三级片|"
        r"毛片|av|3p|偷拍|偷窥|春药|催情|迷药|自慰|手淫|射精|高潮|潮吹|乱伦|换妻|交换|包夜|"
        r"楼凤|上门服务|口爆|颜射|群交|性虐|调教|sm|处女|幼女|萝莉|援助交际|做鸡|鸡婆|"
        r"砍死|杀人|虐杀|碎尸|分尸|血腥|斩首|屠杀|砍人|虐待|暴打|杀光|杀死|弄死|灭门|"
        r"porn|fuck|pussy|cock|dick|\bsex\b|xxx|hentai|操逼|操你|干你|日你|插你|吹箫|打炮|约炮",
    ),
    # A1.8 other prohibited: guns, drugs, gambling, fraud, forged documents, hacking
    (
        "A1.8",
        r"枪|子弹|弹药|军火|猎枪|气枪|手雷|手榴弹|弩|电击|警棍|电棍|麻醉|"
        r"毒品|冰毒|海洛因|大麻|摇头丸|k粉|吗啡|鸦片|可卡因|古柯|麻古|杜冷丁|三唑仑|迷幻|"
        r"甲基苯丙胺|苯丙胺|氯胺酮|芬太尼|罂粟|笑气|制毒|贩毒|吸毒|溜冰|"
        r"赌|博彩|彩票预测|六合彩|百家乐|老虎机|时时彩|赌场|轮盘|庄家|下注|"
        r"代开|发票|办证|假证|证件|文凭|毕业证|学历|刻章|假币|伪钞|代考|枪手|替考|考题|答案|"
        r"洗钱|套现|贷款|信用卡|黑客|木马|盗号|外挂|病毒|钓鱼|窃听|监听|针孔|定位|跟踪|"
        r"私家侦探|调查婚外情|代孕|卖肾|器官|人体器官|出售|买卖|走私|偷渡|传销|非法集资|"
        r"诈骗|骗局|高利贷|裸贷|翻墙|vpn|自由门|无界|动态网|fq|gfw|破网|"
        r"办理|代办|包过|销售|批发|专卖|供应|邮购|货到付款|香烟|免税|精仿|透视|变声|私服|刷钻|"
        r"身份证|学位证|刀具|安非他|啡|特码|平码|六合|售id|号码|删帖|删贴|顶帖|群发|隐形耳机|"
        r"作弊|猎|弹|套刀|迷昏|昏迷剂|蒙汗药|gh[bB]|摇头|冰|麻黄|曲马多|开锁|万能钥匙|钢珠|"
        r"军刺|管制刀|假钞|窃|偷|盗",
    ),
    # A1.7 false and harmful information
    (
        "A1.7",
        r"谣言|末日|灭亡进程|预言|地震云|逢8必|逢八必|逢9必|逢九必|病毒实验室|不明肺炎|"
        r"sars|非典|疫情|人造病毒|生化武器|封城|辐射|核泄漏|致癌|内幕|真相|曝光|惊天|"
        r"震惊|秘闻|揭秘|黑幕|爆料|小道消息|谣|有毒|将陆续发生|大限|地震|海啸|2012|外星|毒奶粉|"
        r"地沟油|吃了会|疫苗|假新闻|造谣|传言|据说|惊人秘密|病危|死亡之谜|真实死因|秘密",
    ),
    # A1.2 national security and image: insults to the state and its leaders, state secrets
    (
        "A1.2",
        r"国家机密|绝密|机密文件|泄密|军事机密|间谍|特务|卖国|辱华|殃视|鸡贼|"
        r"江猪|江贼|江蛤蟆|江戏子|胡王八|习包子|包子|庆丰|维尼|蛤蟆|膜蛤|太子党|红色贵族|"
        r"权贵|贪官|腐败|贪污|贪腐|形象工程|国耻|丧权辱国|专制|独裁|暴政|极权|"
        r"刁近平|刁进平|习尽评|平近习|xjp|jzm|hjt|锦涛|泽民|李鹏|毛泽东|毛主席|周恩来|"
        r"胡温|温家宝|江泽民|胡锦涛|习近平|李克强|习大大|彭麻麻",
    ),
    # A1.1 subversion
    (
        "A1.1",
        r"政治|政权|政府|zf|党|官|中央|反对派|下岗|群体事件|暴动|打砸|维稳|洗脑|愚民|"
        r"舆论|新闻联播|镇压|迫害|屠城|血洗|流血|独裁|暴政|酷刑|劳教|冤案|六四|6\.4|liusi|推翻|打倒|颠覆|倒台|下台|灭亡|亡党|亡国|共匪|共党|共狗|共产党|中共|土共|"
        r"gcd|共残|共惨|共铲|供铲|邪党|恶党|党魁|暴动|起义|革命|民运|民主运动|六四|64|"
        r"天安门|坦克人|学潮|八九|89|宪章|自由亚洲|美国之音|大赦国际|人权|维权|上访|"
        r"游行|示威|罢工|罢课|抗议|集会|静坐|绝食|茉莉花|颜色革命|民主|自由|反共|反党|"
        r"反政府|反华|政变|多党|三权分立|普选|赵紫阳|王丹|吾尔开希|柴玲|魏京生|刘晓波|"
        r"王军涛|方励之|严家祺|陈一谘|封从德|王炳章|胡平|郭文贵|陈光诚|艾未未|高智晟",
    ),
]
_COMPILED = [(risk, re.compile(rx)) for risk, rx in RULES]

_URL = re.compile(
    r"(www\.|https?://|\.(com|cn|net|org|info|us|tk|cc|biz|ru|tw|hk|jp|kr|de|la|gs|it|gr|cz|se)\b)"
)
_HAN = re.compile(r"[\u3400-\u9fff]")


def clean_seed_term(raw: str) -> str | None:
    """A usable term from a raw seed line, or None."""
    t = raw.strip().strip("*").strip()
    if not t or "\ufffd" in t or _URL.search(t.lower()):
        return None
    if "+" in t:  # "法+輪+功" is one term spelt out; "地方官+疫情+中央" is a combination: drop
        parts = [p for p in t.split("+") if p]
        if not parts or any(len(p) > 1 for p in parts):
            return None
        t = "".join(parts)
    if " " in t and _HAN.search(t):  # "出售炸药 电话": a combination, not a phrase
        return None
    if re.fullmatch(r"[\d\s.\-:]+", t):  # phone and QQ numbers, IPs, dates
        return None
    if len(t) > 16:
        return None
    if _HAN.search(t):
        if len(t) < 2:
            return None
    elif len(t) < 4:  # short Latin strings ("BT", "JS", "sm") are abbreviations of everything
        return None
    return t


def classify(key: str, default: str | None) -> str | None:
    """The risk of a seed term: the first rule that matches, else its list's default."""
    for risk, rx in _COMPILED:
        if rx.search(key):
            return risk
    return default


def seed_terms(data: Path) -> Iterator[tuple[str, str, str]]:
    """(term, default risk or '', source) from the seed lists."""
    voc = data / "lexicon-seed/Vocabulary"
    for f in sorted(voc.glob("*.txt")):
        if f.name in SKIP_FILES:
            continue
        default = FILE_RISK.get(f.name) or ""
        for line in f.read_text("utf-8", errors="replace").splitlines():
            t = clean_seed_term(line)
            if t:
                yield t, default, f"seed:{f.stem}"


_GENDERED = re.compile(
    r"女|婊|娘|妇|男|娼|妞|婆|姐|妹|媳|寡|嫂|处女|小三|二奶|拜金|剩|雌|雄|母狗|母猪|公狗|鸭子"
)


def swsr_terms(data: Path) -> Iterator[tuple[str, str, str]]:
    """Gender-specific entries of the SWSR sexism lexicon (profanity without a gender aim is
    left to the other lists)."""
    path = data / "swsr/SexHateLex.txt"
    for line in path.read_text("utf-8", errors="replace").splitlines():
        t = clean_seed_term(line)
        if t and _GENDERED.search(t):
            yield t, "A2.5", "swsr:SexHateLex"


_TEMPLATE = re.compile(r"\{([^{}]*)\}")


def expand(line: str) -> list[str]:
    """``@a{x|y}b`` → ``[axb, ayb]`` (all combinations of every brace group)."""
    m = _TEMPLATE.search(line)
    if m is None:
        return [line]
    out: list[str] = []
    for alt in m.group(1).split("|"):
        out.extend(expand(line[: m.start()] + alt + line[m.end() :]))
    return out


def team_terms() -> Iterator[tuple[str, str, float, str]]:
    """(term, risk, weight, exclusions) from ``team/<risk>.txt``; a line may end with
    ``\\t<weight>\\t<exclusion|exclusion>``."""
    for f in sorted((PACK / "team").glob("A*.txt")):
        risk = f.stem
        for line in f.read_text("utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            cells = line.split("\t")
            weight = float(cells[1]) if len(cells) > 1 and cells[1] else 0.9
            excl = cells[2] if len(cells) > 2 else ""
            body = cells[0].strip()
            terms = expand(body[1:]) if body.startswith("@") else [body]
            for t in terms:
                yield t, risk, weight, excl


def benign_docs(data: Path) -> list[str]:
    """Benign Chinese documents, in a fixed order."""
    docs: list[str] = []
    for f in sorted((data / "zh-kdconv").glob("*_*.json")):
        if f.name.startswith("kb_"):
            continue
        for dlg in json.loads(f.read_text("utf-8")):
            docs.extend(m["message"] for m in dlg["messages"])
    kb = json.loads((data / "zh-kdconv/kb_travel.json").read_text("utf-8"))
    for name, triples in kb.items():
        docs.append(name + "：" + "；".join(" ".join(map(str, t)) for t in triples))
    for item in json.loads((data / "zh-xinhua-dict/idiom_partial.json").read_text("utf-8")):
        docs.append(
            "。".join(
                str(item.get(k, "")) for k in ("word", "explanation", "derivation", "example")
            )
        )
    for item in json.loads((data / "zh-xinhua-dict/xiehouyu.json").read_text("utf-8")):
        docs.append(f"{item['riddle']}——{item['answer']}")
    for fname in ("prompts-zh.json", "prompts-zh-TW.json"):
        for item in json.loads((data / "zh-prompts-plexpt" / fname).read_text("utf-8")):
            docs.append(item["prompt"])
    with (data / "zh-prompts-plexpt/questions_sample50k.jsonl").open(encoding="utf-8") as fh:
        docs.extend(json.loads(line)["question"] for line in fh if line.strip())
    return docs


def doc_hits(keys: list[str], docs: list[str]) -> Counter[int]:
    """For each key index, the number of documents it hits (normalised like at scan time)."""
    matcher = LiteralMatcher(keys, [True] * len(keys))
    counts: Counter[int] = Counter()
    for d in docs:
        found = {p for p, _, _ in matcher.scan(normalize(d).text)}
        counts.update(found)
    return counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared/data")
    ap.add_argument("--report", action="store_true", help="print the held-out false-positive rate")
    args = ap.parse_args()
    data: Path = args.data
    codes = set(load_taxonomy().risk_codes())

    stop = {
        normalize(s.strip()).text.lower()
        for s in (PACK / "team/stop.txt").read_text("utf-8").splitlines()
        if s.strip() and not s.startswith("#")
    }
    # key → (term, risk, weight, exclusions, source); team lists win over seeds
    chosen: dict[str, tuple[str, str, float, str, str]] = {}
    team = list(team_terms())
    for (t, risk, w, excl), key in zip(team, normalize_many([x[0] for x in team]), strict=True):
        if risk not in codes:
            raise SystemExit(f"team list names unknown risk {risk}")
        chosen.setdefault(key, (t, risk, w, excl, "team"))
    seeds = list(swsr_terms(data)) + list(seed_terms(data))
    dropped: Counter[str] = Counter()
    for (t, default, src), key in zip(seeds, normalize_many([s[0] for s in seeds]), strict=True):
        if key in chosen:
            continue
        if key in stop or len(key) < 2:
            dropped["stop"] += 1
            continue
        risk = default if src.startswith("swsr") else classify(key, default or None)
        if risk is None:
            dropped["unplaced"] += 1
            continue
        chosen[key] = (
            t,
            risk,
            0.8,
            "",
            f"{src}@{SEED_COMMIT[:7]}" if src.startswith("seed") else src,
        )

    docs = benign_docs(data)
    tune, held = docs[0::2], docs[1::2]
    keys = list(chosen)
    hits = doc_hits(keys, tune)
    final: list[tuple[str, str, float, str, str]] = []
    for i, key in enumerate(keys):
        t, risk, w, excl, src = chosen[key]
        n = hits.get(i, 0)
        if n >= 3 and not excl:
            dropped["benign≥3"] += 1
            continue
        if n:
            w = min(w, 0.5)
        final.append((t, risk, w, excl, src))

    _write(final)
    per = Counter(r for _, r, _, _, _ in final)
    print(f"{len(final)} terms; dropped {dict(dropped)}", file=sys.stderr)
    for code in sorted(per):
        print(f"  {code}: {per[code]}", file=sys.stderr)
    if args.report:
        fkeys = normalize_many([f[0] for f in final])
        held_hits = doc_hits(fkeys, held)
        matcher = LiteralMatcher(fkeys, [True] * len(fkeys))
        fired = sum(1 for d in held if matcher.scan(normalize(d).text))
        top = ", ".join(f"{fkeys[i]}×{n}" for i, n in held_hits.most_common(15))
        print(f"held-out benign docs: {len(held)}; with ≥1 hit: {fired} ({fired / len(held):.2%})")
        print(f"most frequent held-out hits: {top}")
    return 0


def _write(final: list[tuple[str, str, float, str, str]]) -> None:
    groups = {"A1.tsv": "A1.", "A2.tsv": "A2.", "A3-A5.tsv": "A"}
    used: set[int] = set()
    header = "# term\trisk\tweight\texclusions\tsource — generated by scripts/build_lexicon.py; edit team/*.txt\n"
    for fname, prefix in groups.items():
        rows = [(i, r) for i, r in enumerate(final) if i not in used and r[1].startswith(prefix)]
        rows.sort(key=lambda ir: (_risk_order(ir[1][1]), ir[1][0]))
        used.update(i for i, _ in rows)
        body = "".join(
            f"{t}\t{risk}\t{w:g}\t{excl}\t{src}\n" for _, (t, risk, w, excl, src) in rows
        )
        (PACK / fname).write_text(header + body, "utf-8")
    (PACK / "lexicon.yaml").write_text(
        f"# The built-in keyword library (see README.md). Generated by scripts/build_lexicon.py.\n"
        f'name: {NAME}\nversion: "{VERSION}"\nfiles: [A1.tsv, A2.tsv, A3-A5.tsv]\n',
        "utf-8",
    )


def _risk_order(code: str) -> tuple[int, int]:
    a, b = code[1:].split(".")
    return int(a), int(b)


if __name__ == "__main__":
    raise SystemExit(main())
