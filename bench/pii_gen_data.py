"""Pools and templates for ``bench/pii_gen.py``: hand-written names, places, values and
line templates (kept apart so the generator stays readable)."""

from __future__ import annotations


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
