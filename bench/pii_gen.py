"""Labelled zh/en PII test lines for ``bench/pii.py``: seeded, deterministic, self-contained.

Every value is made here, independently of aisec's recogniser data: checksums (GB 11643
MOD 11-2, Luhn, GB 32100 / GB 11714) are computed by this module, and the name and
address pools are hand-written below. Each line comes from a template of one context
(chat, form, customer-service log, e-mail, CSV row, parcel, resume, news, log, mixed
zh/en); about 40 % of lines carry no PII at all.

Hard negatives (typed ``neg.*``) are look-alikes that must NOT be detected. They are
recorded beside the PII spans so the benchmark can count false positives per type:

* ``neg.id_bad_check`` 18-digit order number = ID-card body with a wrong check digit
  (also Luhn-invalid and not a valid USCC, so it is no card or credit code either)
* ``neg.luhn_bad_19`` 19-digit UnionPay-looking transaction number failing Luhn
* ``neg.timestamp`` 14-digit timestamp such as 20240101123045
* ``neg.isbn`` ISBN-13, plain or hyphenated
* ``neg.digits11`` 11-digit number not starting 0 or 1[3-9]
* ``neg.phone12`` 12-digit number starting 1[3-9] (a mobile with one digit too many)
* ``neg.uscc_bad_check`` 18-character USCC with a wrong check character
* ``neg.plate_bad_province`` plate whose first character is not a province abbreviation
* ``neg.date``, ``neg.price``, ``neg.product_code``
* ``neg.version`` 3-part, 5-part, or 4-part with a part above 255; a 4-part version
  with every part ≤ 255 *is* a valid IPv4 address and is therefore never generated.
"""

from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

# --- checksums --------------------------------------------------------------------------

_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def id_check_char(body17: str) -> str:
    """GB 11643 MOD 11-2 check character of the first 17 digits of an ID number."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(body17, _ID_WEIGHTS, strict=True)) % 11]


def id_valid(value: str) -> bool:
    """True for an 18-character ID number whose check character is right."""
    v = value.upper()
    return bool(re.fullmatch(r"\d{17}[\dX]", v)) and id_check_char(v[:17]) == v[17]


def luhn_valid(digits: str) -> bool:
    """Luhn check over a string of digits."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def luhn_complete(partial: str) -> str:
    """``partial`` plus the Luhn check digit."""
    return next(partial + d for d in "0123456789" if luhn_valid(partial + d))


def org_code_check(body8: str) -> str:
    """GB 11714 check character of an 8-character organisation code body."""
    # GB 11714 values: digits as such, letters A=10 … Z=35 (the full alphabet)
    c = 11 - sum(int(ch, 36) * w for ch, w in zip(body8, _ORG_WEIGHTS, strict=True)) % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def uscc_check_char(body17: str) -> str:
    """GB 32100 check character of the first 17 characters of a USCC."""
    s = sum(USCC_CHARSET.index(c) * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - s % 31) % 31]


def uscc_valid(value: str) -> bool:
    """True for an 18-character USCC whose GB 32100 check character is right."""
    return (
        len(value) == 18
        and all(c in USCC_CHARSET for c in value)
        and uscc_check_char(value[:17]) == value[17]
    )


def isbn13_check(body12: str) -> str:
    """ISBN-13 check digit."""
    return str((10 - sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(body12))) % 10)


# --- pools (hand-written for the benchmark, not taken from aisec) --------------------------


def _w(words: str) -> list[str]:
    return words.split()


# fmt: off

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程"
    "魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
    # rarer single-character surnames
    "禚亓仉隗邴逄眭蒯笪冼邝佘缪谯訾阚璩戈羿鞠郗靳芮栾酆寇苑蓟晏甄牟"
)
COMPOUND_SURNAMES = _w("欧阳 司马 上官 诸葛 东方 皇甫 令狐 慕容 尉迟 公孙 端木 夏侯 宇文 长孙 西门 申屠")
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力永健志国荣斌波宁琳婷雪梅"
    "子涵浩然宇轩欣怡思远嘉懿梓萱沐宸若曦瑾瑜昊天雨桐一诺锦程知行望舒怀瑾修远清越泽楷语嫣"
)
EN_FIRST = _w(
    "James Mary Robert Patricia Michael Jennifer David Linda Sarah Thomas Emily Daniel Laura "
    "Kevin Rachel Brian Megan Siobhan Oluwaseun Xiomara Thaddeus Ingrid Rafferty Beatrix Kwame "
    "Anneliese Dmitri Priya Tobias Leocadia Ezekiel Marisol Caoimhe Florian Yusuf Henrietta Wei "
    "Mei Haruto Bartholomew Ottoline Saoirse Anika"
)
EN_LAST = _w(
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Moore Martin Clark "
    "Lewis Walker Young Allen Okonkwo Szymanski Abernathy Nakamura Delacroix Haverford Quispe "
    "Raghunathan O'Sullivan McAllister Papadopoulos Lindqvist Featherstone Ashworth Valdivia "
    "Kowalczyk Thistlewood Zhang Chen Oyelaran Marchetti Grünewald Blackwood"
)
ZH_REGIONS = [
    ("北京市", "", "海淀区"), ("北京市", "", "朝阳区"), ("上海市", "", "浦东新区"),
    ("上海市", "", "徐汇区"), ("天津市", "", "南开区"), ("重庆市", "", "渝中区"),
    ("广东省", "深圳市", "南山区"), ("广东省", "广州市", "天河区"), ("浙江省", "杭州市", "西湖区"),
    ("浙江省", "金华市", "义乌市"), ("江苏省", "南京市", "鼓楼区"), ("江苏省", "苏州市", "姑苏区"),
    ("四川省", "成都市", "武侯区"), ("湖北省", "武汉市", "洪山区"), ("陕西省", "西安市", "雁塔区"),
    ("山东省", "青岛市", "市南区"), ("河南省", "郑州市", "金水区"), ("湖南省", "长沙市", "岳麓区"),
    ("福建省", "厦门市", "思明区"), ("辽宁省", "沈阳市", "和平区"), ("云南省", "昆明市", "五华区"),
    ("黑龙江省", "哈尔滨市", "南岗区"), ("新疆维吾尔自治区", "乌鲁木齐市", "天山区"),
    ("广西壮族自治区", "南宁市", "青秀区"), ("贵州省", "贵阳市", "云岩区"), ("安徽省", "合肥市", "蜀山区"),
    ("江西省", "南昌市", "东湖区"), ("河北省", "石家庄市", "长安区"), ("山西省", "太原市", "小店区"),
    ("甘肃省", "兰州市", "城关区"), ("海南省", "海口市", "龙华区"), ("内蒙古自治区", "呼和浩特市", "赛罕区"),
]
ZH_ROADS = _w(
    "中关村大街 人民路 解放路 建设路 中山路 科技园南路 文三路 天府大道 珞喻路 长江路 幸福里 "
    "滨江大道 学府路 东风路 新华街 青年路 迎宾大道 花园路 梧桐巷 望京街 南京西路 淮海中路 "
    "深南大道 五一大道 金桥路 丰台北路 观澜街 春熙路 黄河路 鼓楼大街"
)
ZH_ESTATES = _w("阳光花园 翠湖小区 金地名苑 万科城 碧桂园 紫荆公寓 龙湖天街 华润置地 锦绣家园 青山湖畔")
EN_STREETS = _w(
    "Maple Oak Cedar Ridge Washington Lincoln Sycamore Willowbrook Kensington Juniper "
    "Harbor View Magnolia Elm Birchwood Fairview Chestnut Rosewood Highland Quarry Hollow"
)
EN_SUFFIXES = _w("Street St. Avenue Ave Road Rd. Boulevard Blvd Lane Ln Drive Dr. Court Place Way Terrace")
EN_CITIES = [
    ("Springfield", "IL"), ("Austin", "TX"), ("Portland", "OR"), ("Madison", "WI"), ("Boise", "ID"),
    ("Burlington", "VT"), ("Albany", "NY"), ("Tucson", "AZ"), ("Raleigh", "NC"), ("Columbus", "OH"),
    ("Ann Arbor", "MI"), ("Savannah", "GA"),
]
ID_AREAS = _w(
    "110101 110105 110108 120101 130102 140105 150102 210102 220102 230103 310101 310104 310115 "
    "320102 320505 330106 330782 340104 350203 360102 370202 410105 420111 430104 440106 440305 "
    "450103 460106 500103 510107 520102 530102 540102 610113 620102 630102 640104 650102"
)
PROVINCE_ABBR = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
BAD_PROVINCE = "中东西华大海山江河南北"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
MOBILE_PREFIXES = _w("130 131 132 133 135 136 137 138 139 147 150 151 152 153 155 156 157 158 159 166 172 175 176 177 178 180 181 182 183 185 186 187 188 189 191 193 195 198 199")
AREA_CODES = _w("010 020 021 022 023 024 025 027 028 029 0311 0351 0371 0431 0451 0471 0512 0531 0571 0574 0591 0592 0731 0755 0757 0769 0791 0851 0871 0898 0931 0991")
BINS = ["622202", "622848", "621700", "621483", "622588", "625965", "622609", "436742", "427020", "453242", "524091", "518710", "552599"]
EMAIL_DOMAINS = _w("163.com 126.com qq.com gmail.com outlook.com sina.com.cn foxmail.com example.cn huaxin-tech.com mail.tsinghua.edu.cn yahoo.co.uk proton.me")
PINYIN = _w("zhang wang li liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo wei fang jing hao yu xin")
CITIES_ZH = _w("北京 上海 深圳 杭州 成都 武汉 西安 南京 重庆 长沙 厦门 青岛")
COMPANY_WORDS = _w("华信 云图 星河 远景 启明 博雅 新元 恒通 瑞丰 光合")
INDUSTRIES = _w("科技 数据 贸易 物流 文化传媒 医疗器械 电子商务")
# fmt: on

# context | lang | template  ("\n" in a template is a line break; {slot} as in SLOTS)
TEMPLATES = r"""
chat|zh|你好，我是{name}，手机{mobile}，有事打我电话
chat|zh|[群聊] {name}: 我的QQ：{qq}，加我一下
chat|zh|钱转到这张卡上吧 {card} 户名{name}
chat|zh|我微信号：{wechat}，加的时候备注一下
chat|zh|我邮箱是{email}，文件发这里就行
chat|zh|身份证号{id}，帮我查下社保缴了没
chat|zh|{name}：明天下午三点在{address}见，别迟到
chat|zh|车牌{plate}的车把我堵住了，谁的车？
chat|zh|你加我微信：{wechat} 或者QQ：{qq}都行
chat|zh|老板说让{name}把报价单发给{name}，价格{n_price}
chat|zh|快递单号{n_txn}查不到啊，订单{n_order}
form|zh|姓名：{name}；性别：男；身份证号码：{id}；联系电话：{mobile}
form|zh|申请人：{name} 护照号：{passport} 签发日期：{n_date}
form|zh|企业名称：{company}，统一社会信用代码：{uscc}，法定代表人：{name}
form|zh|港澳通行证号码：{permit}，持证人{name}，有效期至{n_date}
form|zh|开户行：中国工商银行 卡号：{card} 预留手机：{mobile}
form|zh|单位电话：{landline}  传真：{landline}
form|zh|车辆信息：车牌号{plate}，车主{name}，登记日期{n_date}
form|zh|服务器地址：{ipv4}，备用地址：{ipv6}
form|zh|护照（Passport No.）：{passport}；通行证：{permit}
form|zh|纳税人识别号 {uscc} 开票电话 {landline} 地址 {address}
cs|zh|{n_date} [客服] 用户{name}来电反映订单{n_order}未发货，回拨号码{mobile}
cs|zh|[工单{n}] 客户手机{mobile}，身份证{id}已核验，诉求：退款{n_price}
cs|zh|坐席：请问您的卡号是？ 客户：{card}
cs|zh|客户反馈交易流水号{n_txn}扣款失败，绑定卡{card}
cs|zh|用户登录IP {ipv4}，设备型号{n_sku}，客户端版本{n_ver}
cs|zh|来电号码{landline}，客户称其护照{passport}丢失
cs|zh|客户{name}要求修改收货地址为{address}
parcel|zh|收件人：{name} {mobile} {address}
parcel|zh|寄件人 {name}，电话{landline}，地址：{address}
parcel|zh|{address} {name}(收) {mobile}
parcel|zh|【顺丰】{name}您好，您的包裹已由{address}的驿站代收，取件码8-2-1035
resume|zh|简历｜{name}｜{mobile}｜{email}｜现居{address}
resume|zh|个人信息 姓名：{name} 出生：1992年5月 电话：{mobile} 邮箱：{email}
resume|zh|工作经历：{n_date}至今 {company}，证明人{name}，电话{landline}
news|zh|据报道，{name}在{city}出席了发布会，ISBN {n_isbn}的新书同步首发。
news|zh|警方提醒，车牌号为{plate}的车辆涉嫌肇事逃逸，知情者请联系{landline}。
news|zh|记者{name}、{name}报道：{city}今年新增就业岗位1.2万个。
news|zh|{company}（统一社会信用代码{uscc}）因违规被处罚款{n_price}。
csv|zh|{name},{id},{mobile},{address}
csv|zh|{n},{name},{email},{ipv4},{n_date}
csv|zh|{uscc},{company},{landline},{n_price}
csv|zh|{n},{plate},{name},{n_date},{n_price}
csv|zh|{name},{passport},{permit},{n_date}
log|en|{n_date} 12:00:03 login ok user={email} src={ipv4}
log|en|sshd: Failed password for root from {ipv6} port 22
log|en|GET /api/v{n} 200 client={ipv4} ua=Mozilla/5.0 build {n_ver}
log|en|ALERT {n_ts} upstream {ipv4}:8080 and {ipv6} unreachable
mixed|mixed|Hi {name_en}，请把invoice发到{email}，谢谢
mixed|mixed|Server {ipv6} 宕机了, ping {ipv4} 也不通
mixed|mixed|Contact: {name} / Tel: {mobile} / Email: {email}
mixed|mixed|My WeChat：{wechat}，phone {mobile}
mixed|mixed|Shipping to {name}, {address}, 电话 {mobile}
mixed|mixed|请联系 {name_en} (QQ：{qq})，他负责 {city} 的 key account
email|en|Dear {name_en},\nPlease send the signed form to {email} before Friday.
email|en|From: {name_en} <{email}>\nSubject: order {n_order}
email|en|Hi team, {name_en} moved to {address_en}; new desk phone {landline}.
email|en|Thanks {name_en}! Refund of {n_price} goes to card {card}.
form|en|Name: {name_en}; Address: {address_en}; Card: {card}
form|en|Billing address: {address_en}. Contact {name_en} at {email}
form|en|Passport number {passport}, holder {name_en}, date of birth {n_date}
parcel|en|Ship to: {name_en}, {address_en}
resume|en|{name_en} | {email} | {address_en} | {mobile}
news|en|{name_en}, a spokesperson for the company, said release {n_ver} fixes the issue.
news|en|Police are looking for the driver of a car with plate {plate}, said {name_en}.
chat|zh|今天天气不错，我们马上出发去高铁站，记得带伞
chat|zh|价格从{n_price}降到了{n_price}，还挺划算的
chat|zh|拨打{n_p12}一直提示空号，是不是号码抄错了
chat|zh|这个车牌{n_plate}是道具，拍戏用的
cs|zh|订单号{n_order}已发货，预计{n_date}送达
cs|zh|交易流水号：{n_txn}，金额{n_price}，状态：失败
cs|zh|会员编号{n_d11}已过期，请重新办理
cs|zh|编号{n_uscc}校验失败，请核对后重新提交
log|zh|日志时间戳 {n_ts}，请求耗时 35ms，版本 {n_ver}
log|zh|当前版本 {n_ver}，请尽快升级到最新版本
news|zh|本书ISBN {n_isbn}，定价{n_price}，{city}出版社出版
news|zh|会议定于{n_date}在三楼会议室召开，请各部门准时参加
news|zh|{company}发布新品，型号{n_sku}，售价{n_price}
news|zh|高新区王府井店周末促销，张灯结彩迎新春
csv|zh|{n},{n_sku},{n_price},{n_date}
csv|zh|{n_ts},{n_order},{n_price}
form|zh|产品型号：{n_sku}，库存 120 件，批次号{n_d11}
email|en|Order {n_order} shipped on {n_date}; tracking {n_txn}.
email|en|Transaction {n_txn} declined, amount {n_price}.
log|en|Build {n_ver} released at {n_ts}; docs ISBN {n_isbn}.
email|en|The meeting moves to next Tuesday, please bring the slides.
form|en|Part number {n_sku}, batch {n_d11}, price {n_price}
mixed|mixed|SKU {n_sku} 已补货, price {n_price}, ETA {n_date}
mixed|mixed|Version {n_ver} 修复了 bug, see ticket {n_d11}
cs|zh|您输入的税号{n_uscc}校验位错误，请核对营业执照
log|en|tax_id={n_uscc} status=INVALID_CHECKSUM amount={n_price}
chat|zh|电话{n_p12}多了一位吧？再看看
news|zh|网传车牌{n_plate}系伪造号牌，交警已介入
"""


@dataclass
class Item:
    """One labelled line: PII ``spans`` and hard-negative ``negatives`` (kind, start, end)."""

    text: str
    spans: list[dict[str, Any]] = field(default_factory=list)
    negatives: list[dict[str, Any]] = field(default_factory=list)
    lang: str = "zh"
    context: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


class ValueFactory:
    """Makes one value per slot name; PII values are valid, ``neg_*`` values are not."""

    def __init__(self, rng: random.Random) -> None:
        self.r = rng

    def _digits(self, n: int, first: str = "0123456789") -> str:
        return self.r.choice(first) + "".join(self.r.choice("0123456789") for _ in range(n - 1))

    def _pick(self, *options: str) -> str:
        return self.r.choice(options)

    def _date(self, start: date, days: int) -> date:
        return start + timedelta(days=self.r.randrange(days))

    def id_body(self) -> str:
        """The first 17 digits of a realistic ID number (born 1945–2008)."""
        born = self._date(date(1945, 1, 1), 365 * 64)
        return self.r.choice(ID_AREAS) + born.strftime("%Y%m%d") + self._digits(3)

    def cn_id_card(self) -> str:
        body = self.id_body()
        if body[6:10] < "1985" and self.r.random() < 0.15:  # legacy 15 digits, no check
            return body[:6] + body[8:17]
        check = id_check_char(body)
        return body + (check.lower() if check == "X" and self.r.random() < 0.3 else check)

    def cn_mobile(self) -> str:
        n = self.r.choice(MOBILE_PREFIXES) + self._digits(8)
        spaced, style = f"{n[:3]} {n[3:7]} {n[7:]}", self.r.random()
        if style < 0.6:
            return n
        if style < 0.7:
            return f"{n[:3]}-{n[3:7]}-{n[7:]}"
        if style < 0.8:
            return spaced
        if style < 0.9:
            return self._pick("+86 ", "+86-", "+86") + n
        return self._pick("0086 ", "+86 ") + spaced

    def cn_landline(self) -> str:
        area = self.r.choice(AREA_CODES)
        local = self._digits(8 if len(area) == 3 or self.r.random() < 0.6 else 7, "2345678")
        h = len(local) // 2
        return self._pick(
            f"{area}-{local}", f"{area}-{local}", f"({area}){local[:h]} {local[h:]}",
            f"（{area}）{local}", f"{area} {local}",
        )  # fmt: skip

    def bank_card(self) -> str:
        bin_ = self.r.choice(BINS)
        length = 19 if bin_.startswith("62") and self.r.random() < 0.5 else 16
        card, style = luhn_complete(bin_ + self._digits(length - 7)), self.r.random()
        if style < 0.55:
            return card
        return (" " if style < 0.85 else "-").join(card[i : i + 4] for i in range(0, length, 4))

    def uscc(self) -> str:
        while True:  # mostly digits in the organisation code, as in real codes
            org = "".join(
                self.r.choice("0123456789" * 4 + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(8)
            )
            body = self._pick(*"15991Y") + self._pick(*"1239") + self.r.choice(ID_AREAS)
            body += org + org_code_check(org)
            value = body + uscc_check_char(body)
            if not id_valid(value):  # an all-digit code must not also read as an ID number
                return value

    def _doc_number(self, letter8: str, letter_letter7: str, other8: str) -> str:
        kind = self.r.random()
        if kind < 0.45:
            return letter8 + self._digits(8)
        if kind < 0.75:
            return letter_letter7 + self.r.choice(PLATE_LETTERS) + self._digits(7)
        return other8 + self._digits(8)

    def passport(self) -> str:
        return self._doc_number("E", "E", "G")

    def hk_macau_permit(self) -> str:
        return self._doc_number("C", "C", "W")

    def _plate_tail(self) -> str:
        chars = [self.r.choice("0123456789") for _ in range(5)]
        for _ in range(self.r.choice([0, 0, 1, 2])):
            chars[self.r.randrange(5)] = self.r.choice(PLATE_LETTERS)
        return "".join(chars)

    def car_plate(self) -> str:
        head = self.r.choice(PROVINCE_ABBR) + self.r.choice(PLATE_LETTERS)
        sep = self._pick("", "", "·", " ")
        if self.r.random() < 0.25:  # new-energy plate: D/F then 5 digits, or 5 digits then D/F
            tail = self._pick(*"DF") + self._digits(5)
            return head + sep + (tail if self.r.random() < 0.7 else tail[1:] + tail[0])
        return head + sep + self._plate_tail()

    def email(self) -> str:
        r = self.r
        local = self._pick(
            r.choice(PINYIN) + r.choice(PINYIN) + str(r.randrange(10, 2000)),
            r.choice(EN_FIRST).lower() + "." + r.choice(EN_LAST).lower().replace("'", ""),
            r.choice(PINYIN) + "_" + r.choice(PINYIN),
            self._digits(9, "123456789"),
        )
        return f"{local}@{r.choice(EMAIL_DOMAINS)}".replace("ü", "u")

    def ipv4(self) -> str:
        first = self.r.choice([10, 172, 192, self.r.randrange(1, 224)])
        return ".".join(str(x) for x in [first, *(self.r.randrange(0, 256) for _ in range(3))])

    def ipv6(self) -> str:
        groups, style = [f"{self.r.randrange(0, 65536):x}" for _ in range(8)], self.r.random()
        if style < 0.5:
            full = ":".join(groups)
            return full if style < 0.35 else full.upper()
        head = "2001:db8" if self.r.random() < 0.4 else "fe80"
        return head + "::" + ":".join(groups[: self.r.randrange(1, 5)])

    def person_name(self) -> str:
        r = self.r
        surname = r.choice(COMPOUND_SURNAMES) if r.random() < 0.12 else r.choice(SURNAMES)
        return surname + "".join(
            r.choice(GIVEN_CHARS) for _ in range(1 if r.random() < 0.35 else 2)
        )

    def en_name(self) -> str:
        first, last = self.r.choice(EN_FIRST), self.r.choice(EN_LAST)
        if self.r.random() < 0.15:
            return f"{first} {self.r.choice('ABCDEHJKLMRST')}. {last}"
        return f"{first} {last}"

    def address(self) -> str:
        r = self.r
        prov, city, district = r.choice(ZH_REGIONS)
        region = (prov if r.random() < 0.6 else "") + city + district
        tail = self._pick(
            f"{r.randrange(1, 30)}栋{r.randrange(1, 6)}单元{r.randrange(1, 33)}0{r.randrange(1, 5)}室",
            f"{r.choice(ZH_ESTATES)}{r.randrange(1, 20)}号楼{r.randrange(1, 28)}0{r.randrange(1, 6)}",
            f"{r.choice(COMPANY_WORDS)}大厦{r.randrange(2, 40)}层",
            "",
        )
        return f"{region}{r.choice(ZH_ROADS)}{r.randrange(1, 999)}号{tail}"

    def en_address(self) -> str:
        r = self.r
        out = f"{r.randrange(1, 9999)} {r.choice(EN_STREETS)} {r.choice(EN_SUFFIXES)}"
        if r.random() < 0.4:
            unit = self._pick(", Apt ", " Apt. ", ", Suite ", ", Unit ", " #")
            out += unit + str(r.randrange(1, 40)) + self._pick("", "B", "C")
        if r.random() < 0.7:
            city, state = r.choice(EN_CITIES)
            out += f", {city}, {state} {self._digits(5, '123456789')}"
        return out

    def qq(self) -> str:
        return self._digits(self.r.randrange(6, 11), "123456789")

    def wechat(self) -> str:
        r = self.r
        if r.random() < 0.4:
            return "wxid_" + "".join(
                r.choice("abcdefghijkmnpqrstuvwxyz0123456789") for _ in range(10)
            )
        return (
            r.choice(PINYIN)
            + self._pick("_", "", "-")
            + r.choice(PINYIN)
            + str(r.randrange(1, 999))
        )

    # --- hard negatives ---
    def neg_id_bad_check(self) -> str:
        while True:  # and no valid 18-digit card or all-digit USCC by chance either
            body = self.id_body()
            value = body + self.r.choice([c for c in "0123456789" if c != id_check_char(body)])
            if not luhn_valid(value) and not uscc_valid(value):
                return value

    def neg_luhn_bad_19(self) -> str:
        while True:
            value = "62" + self._digits(17)
            if not luhn_valid(value):
                return value

    def neg_timestamp(self) -> str:
        day = self._date(date(2015, 1, 1), 3650).strftime("%Y%m%d")
        return (
            day + f"{self.r.randrange(24):02d}{self.r.randrange(60):02d}{self.r.randrange(60):02d}"
        )

    def neg_isbn(self) -> str:
        body = "9787" + self._digits(8)
        v = body + isbn13_check(body)
        return self._pick(v, f"{v[:3]}-{v[3]}-{v[4:8]}-{v[8:12]}-{v[12]}")

    def neg_digits11(self) -> str:
        return self._pick("10", "11", "12", self._digits(2, "23456789")) + self._digits(9)

    def neg_phone12(self) -> str:
        return self.r.choice(MOBILE_PREFIXES) + self._digits(9)

    def neg_uscc_bad_check(self) -> str:
        while True:
            value = self.uscc()
            value = value[:17] + self.r.choice([c for c in USCC_CHARSET if c != value[17]])
            if not id_valid(value):
                return value

    def neg_plate_bad_province(self) -> str:
        return self.r.choice(BAD_PROVINCE) + self.r.choice(PLATE_LETTERS) + self._plate_tail()

    def neg_date(self) -> str:
        fmt = self._pick("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%m/%d/%Y", "%Y%m%d", "%d %b %Y")
        return self._date(date(2000, 1, 1), 9500).strftime(fmt)

    def neg_price(self) -> str:
        v = self.r.randrange(1, 200000) / 100
        return self._pick(f"¥{v:,.2f}", f"${v:.2f}", f"{int(v)}元", f"{v:.1f}万", f"RMB {v:,.2f}")

    def neg_version(self) -> str:
        r = self.r
        return self._pick(
            f"{r.randrange(0, 20)}.{r.randrange(0, 30)}.{r.randrange(0, 100)}",
            ".".join(str(r.randrange(0, 10)) for _ in range(5)),
            f"10.0.{r.randrange(10240, 22631)}.{r.randrange(256, 5000)}",
        )

    def neg_product_code(self) -> str:
        r, d = self.r, self._digits
        return self._pick(
            f"SKU-{d(4)}-{r.choice('XKQZ')}{r.choice('ABM')}", f"MX{r.randrange(2018, 2026)}-{d(5)}",
            f"RTX-{self._pick('3060', '4070', '4090')}", f"P/N {d(2, '1789')}HC{d(3)}N",
            f"{r.choice('ABKT')}{d(3)}-{d(4)}-{r.choice('XYZ')}{d(2)}",
        )  # fmt: skip

    # --- fillers (not labelled) ---
    def city(self) -> str:
        return self.r.choice(CITIES_ZH)

    def company(self) -> str:
        r = self.r
        return r.choice(CITIES_ZH) + r.choice(COMPANY_WORDS) + r.choice(INDUSTRIES) + "有限公司"

    def n(self) -> str:
        return str(self.r.randrange(1, 500))


# slot name -> (label, factory method); labels "pii.*" are gold, "neg.*" hard negatives
SLOTS: dict[str, tuple[str | None, str]] = {
    "id": ("pii.cn_id_card", "cn_id_card"), "mobile": ("pii.cn_mobile", "cn_mobile"),
    "landline": ("pii.cn_landline", "cn_landline"), "card": ("pii.bank_card", "bank_card"),
    "uscc": ("pii.uscc", "uscc"), "passport": ("pii.passport", "passport"),
    "permit": ("pii.hk_macau_permit", "hk_macau_permit"), "plate": ("pii.car_plate", "car_plate"),
    "email": ("pii.email", "email"), "ipv4": ("pii.ipv4", "ipv4"), "ipv6": ("pii.ipv6", "ipv6"),
    "name": ("pii.person_name", "person_name"), "name_en": ("pii.person_name", "en_name"),
    "address": ("pii.address", "address"), "address_en": ("pii.address", "en_address"),
    "qq": ("pii.qq", "qq"), "wechat": ("pii.wechat", "wechat"),
    "n_order": ("neg.id_bad_check", "neg_id_bad_check"), "n_txn": ("neg.luhn_bad_19", "neg_luhn_bad_19"),
    "n_ts": ("neg.timestamp", "neg_timestamp"), "n_isbn": ("neg.isbn", "neg_isbn"),
    "n_d11": ("neg.digits11", "neg_digits11"), "n_p12": ("neg.phone12", "neg_phone12"),
    "n_uscc": ("neg.uscc_bad_check", "neg_uscc_bad_check"),
    "n_plate": ("neg.plate_bad_province", "neg_plate_bad_province"),
    "n_date": ("neg.date", "neg_date"), "n_price": ("neg.price", "neg_price"),
    "n_ver": ("neg.version", "neg_version"), "n_sku": ("neg.product_code", "neg_product_code"),
    "city": (None, "city"), "company": (None, "company"), "n": (None, "n"),
}  # fmt: skip

KINDS = tuple(sorted({label for label, _ in SLOTS.values() if label and label.startswith("pii.")}))
NEGATIVE_TYPES = tuple(sorted({lb for lb, _ in SLOTS.values() if lb and lb.startswith("neg.")}))
# how often a line is built around each kind (the rest come along in the same templates)
KIND_WEIGHTS = {"pii.person_name": 2.0, "pii.address": 2.0, "pii.qq": 0.5, "pii.wechat": 0.5}

_SLOT_RE = re.compile(r"\{(\w+)\}")


def render(template: str, values: ValueFactory) -> tuple[str, list[dict[str, Any]]]:
    """Fill ``template``; return the text and the labelled spans (PII and negatives)."""
    parts: list[str] = []
    spans: list[dict[str, Any]] = []
    pos = last = 0
    for m in _SLOT_RE.finditer(template):
        literal = template[last : m.start()].replace("\\n", "\n")
        parts.append(literal)
        pos += len(literal)
        label, method = SLOTS[m.group(1)]
        value = getattr(values, method)()
        if label is not None:
            spans.append({"kind": label, "start": pos, "end": pos + len(value)})
        parts.append(value)
        pos += len(value)
        last = m.end()
    parts.append(template[last:].replace("\\n", "\n"))
    return "".join(parts), spans


def _templates() -> list[tuple[str, str, str]]:
    out = []
    for line in TEMPLATES.strip().splitlines():
        context, lang, text = line.split("|", 2)
        out.append((context.strip(), lang.strip(), text.strip()))
    return out


def generate(n: int = 5000, seed: int = 20260101, no_pii_share: float = 0.4) -> list[Item]:
    """``n`` labelled lines; the same ``seed`` always gives the same lines."""
    rng = random.Random(seed)
    values = ValueFactory(rng)
    templates = _templates()
    slots_of = [set(_SLOT_RE.findall(t)) for _, _, t in templates]
    pii_slots = {s for s, (lb, _) in SLOTS.items() if lb and lb.startswith("pii.")}
    clean = [t for t, s in zip(templates, slots_of, strict=True) if not s & pii_slots]
    by_kind: dict[str, list[tuple[str, str, str]]] = {k: [] for k in KINDS}
    for t, s in zip(templates, slots_of, strict=True):
        for slot in s & pii_slots:
            by_kind[str(SLOTS[slot][0])].append(t)
    kinds = [k for k in KINDS if by_kind[k]]
    weights = [KIND_WEIGHTS.get(k, 1.0) for k in kinds]
    items: list[Item] = []
    for _ in range(n):
        if rng.random() < no_pii_share:
            context, lang, template = rng.choice(clean)
        else:
            kind = rng.choices(kinds, weights)[0]
            context, lang, template = rng.choice(by_kind[kind])
        text, spans = render(template, values)
        items.append(
            Item(
                text=text,
                spans=[s for s in spans if str(s["kind"]).startswith("pii.")],
                negatives=[s for s in spans if str(s["kind"]).startswith("neg.")],
                lang=lang,
                context=context,
            )
        )
    return items
