"""Demo data: departments, users and about 200 Chinese B2B customers with their contacts and
follow-ups, as an equipment vendor's CRM looks after a couple of years of use.

``seed`` writes through the ORM so the audit trail has rows, and sets the derived columns
with the same functions the services use. It is deterministic (a fixed random seed; dates are
relative to today) and does nothing on a database that already has users.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_common.cleansing import full_pinyin, uscc_check_char
from crm_common.cleansing.uscc import ALPHABET
from crm_server.bindings import bind_all
from crm_server.db import audit
from crm_server.db.engine import make_engine, make_session_factory
from crm_server.domains.accounts import create_user
from crm_server.domains.customers import refresh_customer_search, refresh_follow_up
from crm_server.kit.binding import binding
from crm_server.models import Activity, Contact, Customer, Department, User
from crm_server.settings import Settings

SEED = 20261122
CUSTOMERS = 200
PASSWORD = "demo1234"
DAY = timedelta(days=1)


@dataclass(frozen=True)
class City:
    province: str
    name: str  # 苏州市
    area_code: str  # 0512
    districts: tuple[tuple[str, str], ...]  # (district, 6-digit region code)

    @property
    def short(self) -> str:
        return self.name.removesuffix("市")


def _city(province: str, name: str, area: str, districts: str) -> City:
    pairs = tuple(tuple(item.split(":")) for item in districts.split())
    return City(province, name, area, pairs)  # type: ignore[arg-type]


# GB/T 2260 region codes; the weights favour the manufacturing belts an equipment vendor sells to.
CITIES: tuple[tuple[City, int], ...] = (
    (_city("江苏省", "苏州市", "0512", "虎丘区:320505 吴中区:320506 相城区:320507 "
           "吴江区:320509 昆山市:320583 常熟市:320581 张家港市:320582 太仓市:320585"), 14),
    (_city("江苏省", "无锡市", "0510", "新吴区:320214 惠山区:320206 滨湖区:320211 "
           "江阴市:320281 宜兴市:320282"), 7),
    (_city("江苏省", "南京市", "025", "江宁区:320115 栖霞区:320113 鼓楼区:320106 "
           "浦口区:320111 雨花台区:320114"), 6),
    (_city("江苏省", "常州市", "0519", "新北区:320411 武进区:320412 天宁区:320402"), 4),
    (_city("上海市", "上海市", "021", "浦东新区:310115 闵行区:310112 嘉定区:310114 "
           "松江区:310117 青浦区:310118 宝山区:310113 奉贤区:310120"), 12),
    (_city("浙江省", "杭州市", "0571", "滨江区:330108 萧山区:330109 余杭区:330110 "
           "西湖区:330106 拱墅区:330105"), 8),
    (_city("浙江省", "宁波市", "0574", "北仑区:330206 鄞州区:330212 镇海区:330211 "
           "慈溪市:330282 余姚市:330281"), 6),
    (_city("浙江省", "台州市", "0576", "椒江区:331002 黄岩区:331003 温岭市:331081"), 3),
    (_city("浙江省", "嘉兴市", "0573", "南湖区:330402 海宁市:330481 桐乡市:330483"), 3),
    (_city("广东省", "深圳市", "0755", "南山区:440305 宝安区:440306 龙岗区:440307 "
           "龙华区:440309 光明区:440311 坪山区:440310"), 10),
    (_city("广东省", "广州市", "020", "黄埔区:440112 番禺区:440113 白云区:440111 "
           "天河区:440106 南沙区:440115 花都区:440114"), 7),
    (_city("广东省", "东莞市", "0769", "长安镇:441900 松山湖:441900 虎门镇:441900 "
           "塘厦镇:441900"), 5),
    (_city("广东省", "佛山市", "0757", "顺德区:440606 南海区:440605 禅城区:440604"), 5),
    (_city("北京市", "北京市", "010", "海淀区:110108 朝阳区:110105 大兴区:110115 "
           "昌平区:110114 顺义区:110113"), 6),
    (_city("天津市", "天津市", "022", "滨海新区:120116 西青区:120111 东丽区:120110 "
           "武清区:120114"), 4),
    (_city("山东省", "青岛市", "0532", "黄岛区:370211 城阳区:370214 崂山区:370212 "
           "即墨区:370215"), 4),
    (_city("山东省", "济南市", "0531", "历下区:370102 历城区:370112 槐荫区:370104"), 3),
    (_city("山东省", "烟台市", "0535", "芝罘区:370602 福山区:370611 莱山区:370613"), 2),
    (_city("湖北省", "武汉市", "027", "洪山区:420111 东西湖区:420112 江夏区:420115 "
           "蔡甸区:420114 武昌区:420106"), 4),
    (_city("湖南省", "长沙市", "0731", "岳麓区:430104 雨花区:430111 开福区:430105 "
           "长沙县:430121"), 3),
    (_city("四川省", "成都市", "028", "武侯区:510107 龙泉驿区:510112 双流区:510116 "
           "郫都区:510117 新都区:510114"), 4),
    (_city("重庆市", "重庆市", "023", "渝北区:500112 九龙坡区:500107 沙坪坝区:500106 "
           "巴南区:500113"), 3),
    (_city("河南省", "郑州市", "0371", "金水区:410105 中原区:410102 管城回族区:410104 "
           "惠济区:410108"), 3),
    (_city("福建省", "厦门市", "0592", "湖里区:350206 集美区:350211 海沧区:350205 "
           "翔安区:350213"), 3),
    (_city("福建省", "福州市", "0591", "鼓楼区:350102 仓山区:350104 马尾区:350105"), 2),
    (_city("安徽省", "合肥市", "0551", "蜀山区:340104 包河区:340111 庐阳区:340103"), 3),
    (_city("陕西省", "西安市", "029", "雁塔区:610113 未央区:610112 长安区:610116 "
           "碑林区:610103"), 3),
    (_city("辽宁省", "大连市", "0411", "甘井子区:210211 金州区:210213 沙河口区:210204"), 2),
    (_city("辽宁省", "沈阳市", "024", "铁西区:210106 浑南区:210112 沈河区:210103"), 2),
)

# 字号 (the distinctive part of a company name).
BRANDS = (
    "恒瑞", "汇川", "鼎新", "宏达", "华科", "博远", "精工", "新锐", "昌盛", "永信", "天成",
    "瑞丰", "金源", "海德", "佳能达", "东方", "明辉", "兴业", "诺安", "正泰", "卓越", "晨光",
    "联创", "凯力", "德润", "嘉禾", "伟业", "飞宇", "华宇", "万通", "通达", "信达", "远航",
    "康泰", "百川", "力拓", "锦程", "九洲", "星河", "拓普", "安捷", "华信", "科达", "同创",
    "恒通", "盛世", "创新", "铭泰", "昊天", "立信", "海川", "巨龙", "中联", "宝利", "众诚",
    "鑫源", "华瑞", "长江", "泰和", "荣盛", "天瑞", "德力", "佳和", "聚能", "优耐", "福达",
    "万家", "金鹏", "亿丰", "三禾", "顺达", "英特", "奥森", "凯瑞", "新宙", "华晨", "欧普",
    "宏图", "广联", "汉威", "利华", "旭日", "常青", "鸿运", "乐嘉", "普瑞", "美达", "艾克",
    "捷豹", "迈科", "维康",
)

# (industry, word in the name, word in the short name, weight)
FACTORY_KINDS: tuple[tuple[str, str, str, int], ...] = (
    ("机械制造", "精密机械", "精密", 14),
    ("机械制造", "智能装备", "装备", 8),
    ("金属加工", "金属制品", "金属", 5),
    ("电子电气", "电子科技", "电子", 12),
    ("电子电气", "光电科技", "光电", 5),
    ("半导体", "半导体", "半导体", 4),
    ("汽车零部件", "汽车零部件", "汽配", 10),
    ("医药制造", "制药", "制药", 6),
    ("医药制造", "生物医药", "生物", 4),
    ("食品饮料", "食品", "食品", 8),
    ("食品饮料", "乳业", "乳业", 2),
    ("化工", "化工", "化工", 4),
    ("新能源", "新能源科技", "新能源", 5),
    ("新材料", "新材料", "新材料", 4),
    ("塑料制品", "塑胶制品", "塑胶", 3),
)
LEGAL_FORMS = (("有限公司", 70), ("股份有限公司", 20), ("有限责任公司", 6), ("科技有限公司", 4))

ROADS = (
    "长江路", "黄河路", "人民路", "建设路", "解放路", "中山路", "工业大道", "科技路", "创业路",
    "兴业路", "高新大道", "星湖街", "金鸡湖大道", "滨河路", "迎宾大道", "纬三路", "经二路",
    "开发大道", "振兴路", "复兴路", "东环路", "南环路", "北园路", "新华路", "学府路", "和平路",
    "民生路", "富民路", "太湖大道", "港城大道", "永安路", "华山路",
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋"
    "蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷"
    "侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤"
)
GIVEN = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "华", "平", "刚", "辉", "鹏", "斌", "宇", "浩", "凯", "健", "俊", "帆", "琳",
    "晶", "颖", "婷", "雪", "波", "宁", "峰", "亮", "秀英", "建华", "志强", "晓东", "海燕",
    "春梅", "国庆", "立新", "文博", "子轩", "雪梅", "红霞", "建国", "永刚", "晓明", "丽娟",
    "海涛", "建军", "志刚", "玉兰", "晓峰", "建平", "俊杰", "思远", "佳怡", "欣怡", "宏伟",
    "国华", "云飞", "振华", "德明", "少华", "文静", "美玲", "慧敏", "金龙", "天宇", "一鸣",
    "嘉豪",
)

MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "180", "181", "182", "183", "184", "185", "186",
    "187", "188", "189",
)
PUBLIC_MAIL = ("qq.com", "163.com", "126.com", "foxmail.com", "139.com")

# (title, decision role) per kind of organisation, most senior first.
FACTORY_TITLES = (
    ("总经理", "decision_maker"), ("副总经理", "decision_maker"), ("厂长", "decision_maker"),
    ("总工程师", "technical"), ("设备部经理", "influencer"), ("生产总监", "influencer"),
    ("采购经理", "procurement"), ("采购主管", "procurement"), ("技术部主管", "technical"),
    ("工艺工程师", "technical"), ("设备主管", "user"), ("质量经理", "user"),
)
HOSPITAL_TITLES = (
    ("副院长", "decision_maker"), ("设备科科长", "influencer"), ("医学装备部主任", "influencer"),
    ("采购中心主任", "procurement"), ("检验科主任", "user"), ("设备科工程师", "technical"),
    ("信息科工程师", "technical"),
)
UNIVERSITY_TITLES = (
    ("资产处处长", "decision_maker"), ("实验室主任", "influencer"),
    ("采购与招标管理中心主任", "procurement"), ("课题组负责人", "user"),
    ("实验员", "user"), ("设备管理科科长", "technical"),
)
UTILITY_TITLES = (
    ("总经理", "decision_maker"), ("总工程师", "technical"), ("设备部部长", "influencer"),
    ("生产运营部经理", "influencer"), ("水厂厂长", "user"), ("采购主管", "procurement"),
)

TAGS_COMMON = ("重点项目", "有预算", "竞品在用", "需要演示", "价格敏感", "技术要求高", "决策周期长")

SUBJECTS: dict[str, tuple[str, ...]] = {
    "call": ("电话回访", "报价沟通", "需求初步了解", "交期确认", "付款进度沟通", "售后回访"),
    "visit": ("现场考察", "上门拜访", "产线参观", "安装现场勘查", "验收前现场确认"),
    "meeting": ("商务谈判", "方案评审会", "年度采购计划沟通", "招标文件解读", "合同条款确认"),
    "email": ("发送报价单", "发送产品资料", "发送技术协议草稿", "发送案例介绍"),
    "technical": ("设备选型技术交流", "方案演示", "样机试用反馈", "工艺难点研讨",
                  "技术参数澄清"),
}
NOTE_OPENERS = (
    "客户计划{when}更新{count}台设备", "客户关注设备能耗和售后响应时间", "对方技术负责人参加",
    "客户反馈目前使用的竞品故障率偏高", "客户预算已批复", "对方正在走内部立项流程",
    "客户希望我方提供同行业案例", "对方采购要求三家比价",
)
NOTE_FOLLOWS = (
    "已发送产品资料。", "约定下周提供正式报价。", "需技术部出具详细方案。", "待客户确认技术参数。",
    "下次拜访带样品。", "客户倾向分期付款，需财务评估。", "已安排工程师现场测量。",
    "对交货期要求较紧，需与生产确认排产。",
)
WHEN = ("明年一季度", "下半年", "年底前", "三个月内", "明年")
NON_FACTORY = frozenset({"医疗卫生", "教育科研", "水务环保"})


@dataclass
class Context:
    """What the generator threads through: the random source, today, who owns what."""

    rng: random.Random
    now: datetime
    owners: list[tuple[int, int]]  # (user id, weight)
    used_uscc: set[str]
    used_mobiles: set[str]
    used_names: set[str]

    def pick(self, weighted: tuple[tuple[Any, int], ...] | list[tuple[Any, int]]) -> Any:
        items, weights = zip(*weighted, strict=True)
        return self.rng.choices(items, weights)[0]


def seed(settings: Settings) -> None:
    """Fill a freshly migrated database with demo data; a no-op when users already exist."""
    bind_all()
    audit.install()
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine).begin() as session:
            session.info["principal"] = None  # written by the system
            if session.scalar(select(User.id).limit(1)) is not None:
                return
            _seed(session)
    finally:
        engine.dispose()


def _seed(session: Session) -> None:
    departments = _departments(session)
    users = _users(session, departments)
    ctx = Context(
        rng=random.Random(SEED), now=datetime.now(UTC).replace(microsecond=0),
        owners=[(users["sales"].id, 40), (users["sales2"].id, 35), (users["manager"].id, 25)],
        used_uscc=set(), used_mobiles=set(), used_names=set(),
    )
    customers = [_customer(ctx) for _ in range(CUSTOMERS)]
    groups = _groups(ctx, customers)
    parents = {id(parent) for parent in groups.values()}
    _add_customers(session, [c for c in customers if id(c) in parents])
    for child, parent in groups.items():
        child.parent_id = parent.id
    _add_customers(session, [c for c in customers if id(c) not in parents])
    contacts = {c.id: _contacts(ctx, c) for c in customers}
    contact_service = binding("contact").service
    for contact in (c for group in contacts.values() for c in group):
        contact_service.derive(session, contact)
        session.add(contact)
    session.flush()
    refresh_customer_search(session, [c.id for c in customers])
    activities = [a for c in customers for a in _activities(ctx, c, contacts[c.id])]
    session.add_all(activities)
    session.flush()
    for customer_id in {a.customer_id for a in activities}:
        refresh_follow_up(session, customer_id)


def _add_customers(session: Session, customers: list[Customer]) -> None:
    service = binding("customer").service
    for customer in customers:
        service.derive(session, customer)  # name_key and search_text, as on every write
    session.add_all(customers)
    session.flush()


def _departments(session: Session) -> dict[str, Department]:
    tree = (("总经理办公室", None), ("销售部", None), ("华东销售一组", "销售部"),
            ("华南销售组", "销售部"), ("华北销售组", "销售部"), ("服务部", None),
            ("售后服务组", "服务部"), ("财务部", None))
    made: dict[str, Department] = {}
    for order, (name, parent) in enumerate(tree):
        made[name] = Department(name=name, sort_order=order,
                                parent_id=made[parent].id if parent else None)
        session.add(made[name])
        session.flush()
    return made


def _users(session: Session, departments: dict[str, Department]) -> dict[str, User]:
    people = (("admin", "系统管理员", "admin", "总经理办公室"),
              ("manager", "王经理", "manager", "销售部"),
              ("sales", "李销售", "sales", "华东销售一组"),
              ("sales2", "张晓明", "sales", "华南销售组"),
              ("finance", "陈会计", "finance", "财务部"),
              ("service", "赵工", "service", "售后服务组"))
    return {username: create_user(session, username, name, PASSWORD, role=role,
                                  department_id=departments[department].id,
                                  email=f"{username}@demo-equipment.cn")
            for username, name, role, department in people}


# --- customers ------------------------------------------------------------------------------

def _customer(ctx: Context) -> Customer:
    city: City = ctx.pick(CITIES)
    district, region = ctx.rng.choice(city.districts)
    kind = ctx.pick((("factory", 72), ("hospital", 12), ("university", 7), ("utility", 9)))
    name, short, industry, public = _naming(ctx, kind, city, district)
    while name in ctx.used_names:
        name, short, industry, public = _naming(ctx, "factory", city, district)
    ctx.used_names.add(name)
    created = ctx.now - timedelta(days=ctx.rng.randint(30, 1000),
                                  seconds=ctx.rng.randint(0, 36_000))
    status = ctx.pick((("active", 45), ("potential", 35), ("dormant", 12), ("lost", 8)))
    return Customer(
        name=name, short_name=short, industry=industry,
        uscc=_uscc(ctx, "12" if public else "91", region),  # 事业单位 / 企业
        province=city.province, city=city.name, district=district,
        address=_address(ctx, district),
        phone=f"{city.area_code}-{ctx.rng.randint(5, 8)}{ctx.rng.randint(0, 9_999_999):07d}",
        level=ctx.pick((("key", 5), ("A", 15), ("B", 35), ("C", 45))),
        status=status,
        source=ctx.pick((("tender", 30), ("exhibition", 20), ("referral", 18), ("website", 12),
                         ("cold_call", 10), ("partner", 7), ("other", 3)) if public else
                        (("exhibition", 28), ("referral", 22), ("website", 18), ("cold_call", 14),
                         ("partner", 10), ("tender", 5), ("other", 3))),
        owner_id=ctx.pick(ctx.owners),
        tags=_tags(ctx, status, public),
        notes=ctx.rng.choice((None, None, "年度预算一般在第四季度下达。", "对国产设备接受度高。",
                              "需通过其集团总部招标平台投标。", "曾采购过我司上一代产品。")),
        created_at=created, updated_at=created,
    )


def _naming(ctx: Context, kind: str, city: City,
            district: str) -> tuple[str, str | None, str, bool]:
    """(name, short name, industry, is a public institution)."""
    rng, place = ctx.rng, city.short
    if kind == "hospital":
        style = rng.randrange(4)
        if style == 3 and district.endswith(("区", "市")):
            where = district if district.endswith("市") else city.name + district
            return f"{where}人民医院", None, "医疗卫生", True
        if style == 0:
            number = rng.choice("一二三四五六")
            return f"{place}市第{number}人民医院", f"{place}{number}院", "医疗卫生", True
        if style == 1:
            return f"{place}市中医医院", f"{place}中医院", "医疗卫生", True
        return f"{place}市妇幼保健院", f"{place}妇幼", "医疗卫生", True
    if kind == "university":
        word, short = rng.choice((("职业技术学院", "职院"), ("理工学院", "理工"),
                                  ("科技大学", "科大"), ("工程技术学校", "工校")))
        return f"{place}{word}", f"{place}{short}", "教育科研", True
    if kind == "utility":
        word, short, industry = rng.choice((
            ("水务集团有限公司", "水务", "水务环保"), ("市自来水有限公司", "自来水", "水务环保"),
            ("市排水有限公司", "排水", "水务环保"), ("环保科技有限公司", "环保", "水务环保")))
        return f"{place}{word}", f"{place}{short}", industry, False
    brand = rng.choice(BRANDS)
    industry, word, short_word, _weight = ctx.pick(
        tuple((entry, entry[3]) for entry in FACTORY_KINDS))
    form = ctx.pick(LEGAL_FORMS)
    if form == "科技有限公司" and word.endswith("科技"):
        form = "有限公司"
    prefix = place if rng.random() < 0.8 else ""
    return f"{prefix}{brand}{word}{form}", f"{brand}{short_word}", industry, False


def _groups(ctx: Context, customers: list[Customer]) -> dict[Customer, Customer]:
    """A few factories belong to a group whose headquarters is also a customer: ``{child:
    parent}``, the parent renamed after the child's 字号 and made a key account."""
    factories = [c for c in customers if c.industry not in NON_FACTORY and c.short_name]
    groups: dict[Customer, Customer] = {}
    for index in range(3):
        child, parent = factories[index * 7], factories[index * 7 + 3]
        brand = (child.short_name or "")[:2]
        parent.name = f"{brand}{ctx.rng.choice(('控股', '实业', '科技'))}集团有限公司"
        parent.short_name, parent.industry, parent.level = f"{brand}集团", child.industry, "key"
        groups[child] = parent
    return groups


def _uscc(ctx: Context, head: str, region: str) -> str:
    """A valid code: registration authority + kind, region, organisation code, check char.
    Older registrants keep their 8-digit organisation code (with its GB 11714 check); newer
    ones got an ``MA`` code."""
    while True:
        if ctx.rng.random() < 0.5:
            body = "".join(ctx.rng.choice("0123456789") for _ in range(8))
        else:
            body = "MA" + "".join(ctx.rng.choice(ALPHABET) for _ in range(6))
        first17 = head + region + body + _org_check(body)
        code = first17 + uscc_check_char(first17)
        if code not in ctx.used_uscc:
            ctx.used_uscc.add(code)
            return code


def _org_check(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w
                for c, w in zip(body, weights, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def _address(ctx: Context, district: str) -> str:
    rng = ctx.rng
    street = f"{rng.choice(ROADS)}{rng.randint(1, 1999)}号"
    extra = rng.choice(("", "", "", f"{rng.randint(1, 12)}号厂房", f"{rng.randint(1, 9)}栋",
                        f"科技园{rng.choice('ABCDE')}座"))
    return f"{district}{street}{extra}"


def _tags(ctx: Context, status: str, public: bool) -> list[str]:
    tags: list[str] = []
    if status == "active" and ctx.rng.random() < 0.6:
        tags.append("老客户")
    if public and ctx.rng.random() < 0.7:
        tags.append("招投标")
    tags += ctx.rng.sample(TAGS_COMMON, ctx.rng.choice((0, 0, 1, 1, 2)))
    return tags


# --- contacts -------------------------------------------------------------------------------

def _contacts(ctx: Context, customer: Customer) -> list[Contact]:
    rng = ctx.rng
    titles = _titles_for(customer)
    count = ctx.pick(((1, 25), (2, 35), (3, 25), (4, 15)))
    chosen = sorted(rng.sample(range(len(titles)), min(count, len(titles))))
    domain = _domain(customer)
    people = []
    for position, index in enumerate(chosen):
        title, role = titles[index]
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        people.append(Contact(
            customer_id=customer.id, name=name, title=title, decision_role=role,
            mobile=_mobile(ctx), phone=_extension(ctx, customer),
            email=_email(ctx, name, domain), wechat=_wechat(ctx, name),
            is_primary=position == 0, created_at=customer.created_at,
            updated_at=customer.created_at,
        ))
    return people


def _titles_for(customer: Customer) -> tuple[tuple[str, str], ...]:
    if customer.industry == "医疗卫生":
        return HOSPITAL_TITLES
    if customer.industry == "教育科研":
        return UNIVERSITY_TITLES
    if customer.industry == "水务环保":
        return UTILITY_TITLES
    return FACTORY_TITLES


def _domain(customer: Customer) -> str:
    stem = full_pinyin(customer.short_name or customer.name[:4])
    suffix = ".edu.cn" if customer.industry == "教育科研" else (
        ".org.cn" if customer.industry == "医疗卫生" else ".com.cn" if len(stem) % 2 else ".com")
    return stem + suffix


def _mobile(ctx: Context) -> str:
    while True:
        number = ctx.rng.choice(MOBILE_PREFIXES) + f"{ctx.rng.randint(0, 99_999_999):08d}"
        if number not in ctx.used_mobiles:
            ctx.used_mobiles.add(number)
            return number


def _extension(ctx: Context, customer: Customer) -> str | None:
    if ctx.rng.random() < 0.5 or not customer.phone:
        return None
    return f"{customer.phone}-{ctx.rng.randint(100, 899)}"


def _email(ctx: Context, name: str, domain: str) -> str | None:
    roll = ctx.rng.random()
    if roll < 0.15:
        return None
    if roll < 0.45:
        return f"{ctx.rng.randint(10_000_000, 2_999_999_999)}@qq.com"
    surname, given = full_pinyin(name[0]), full_pinyin(name[1:])
    if roll < 0.6:
        return f"{surname}{given}{ctx.rng.randint(1, 99)}@{ctx.rng.choice(PUBLIC_MAIL)}"
    return f"{given}.{surname}@{domain}" if ctx.rng.random() < 0.5 else f"{surname}{given}@{domain}"


def _wechat(ctx: Context, name: str) -> str | None:
    roll = ctx.rng.random()
    if roll < 0.2:
        return None
    if roll < 0.5:
        return "wxid_" + "".join(ctx.rng.choice("abcdefghijkmnpqrstuvwxyz0123456789")
                                 for _ in range(14))
    number = ctx.rng.choice((ctx.rng.randint(1965, 2000), ctx.rng.randint(1, 999)))
    return f"{full_pinyin(name)}{ctx.rng.choice(('', '_', ''))}{number}"


# --- follow-ups -----------------------------------------------------------------------------

def _activities(ctx: Context, customer: Customer, contacts: list[Contact]) -> list[Activity]:
    rng = ctx.rng
    busy = {"active": 4, "potential": 3, "dormant": 1, "lost": 1}[customer.status]
    count = max(0, min(6, round(rng.gauss(busy, 1.5))))
    days_ago = sorted((rng.randint(0, 179) for _ in range(count)), reverse=True)
    made: list[Activity] = []
    for position, ago in enumerate(days_ago):
        kind = ctx.pick((("call", 35), ("visit", 20), ("technical", 15), ("meeting", 12),
                         ("email", 18)))
        hour = rng.choice((1, 2, 3, 5, 6, 7, 8))  # 09:00–16:00 Beijing time, in UTC
        occurred = datetime.combine((ctx.now - ago * DAY).date(), time(hour, rng.choice(
            (0, 10, 15, 20, 30, 40, 45))), tzinfo=UTC)
        occurred = min(occurred, ctx.now - timedelta(minutes=5))
        is_last = position == count - 1
        made.append(Activity(
            customer_id=customer.id, contact_id=rng.choice(contacts).id if contacts else None,
            type=kind, occurred_at=occurred, subject=rng.choice(SUBJECTS[kind]),
            notes=_note(ctx), next_follow_up_on=_next_date(ctx, occurred, is_last),
            owner_id=customer.owner_id, created_at=occurred, updated_at=occurred,
        ))
    return made


def _note(ctx: Context) -> str:
    opener = ctx.rng.choice(NOTE_OPENERS).format(when=ctx.rng.choice(WHEN),
                                                  count=ctx.rng.choice("两三四五六八"))
    return f"{opener}，{ctx.rng.choice(NOTE_FOLLOWS)}"


def _next_date(ctx: Context, occurred: datetime, is_last: bool) -> date | None:
    """Older follow-ups planned a next step; the latest one's date may be overdue (in the
    past), upcoming, or not set."""
    roll = ctx.rng.random()
    if roll < 0.25:
        return None
    planned = occurred.date() + ctx.rng.randint(3, 30) * DAY
    if is_last and roll > 0.7:
        planned = ctx.now.date() + ctx.rng.randint(1, 21) * DAY
    return planned
