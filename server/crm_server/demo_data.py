"""The demo's data tables: regions, company names, people, job titles, follow-up subjects
and notes, and the weights the seed picks them with (``crm_server.demo`` does the picking).

They read like a Chinese equipment vendor's customers: GB/T 2260 region codes, 字号 + industry
+ legal form names, common surnames and given names, the titles met at factories, hospitals,
universities and utilities. The benchmark generator (``bench/generate.py``) borrows some.
Changing a table or its order changes the demo data (the seed is fixed, the picks are not).
"""

from __future__ import annotations

from dataclasses import dataclass


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

# (department, parent department), parents first.
DEPARTMENTS = (("总经理办公室", None), ("销售部", None), ("华东销售一组", "销售部"),
               ("华南销售组", "销售部"), ("华北销售组", "销售部"), ("服务部", None),
               ("售后服务组", "服务部"), ("财务部", None))
# All share ``crm_server.demo.PASSWORD``.
# (username, name, built-in role, department)
PEOPLE = (("admin", "系统管理员", "administrator", "总经理办公室"),
          ("manager", "王经理", "sales_manager", "销售部"),
          ("sales", "李销售", "sales_rep", "华东销售一组"),
          ("sales2", "张晓明", "sales_rep", "华南销售组"),
          ("finance", "陈会计", "finance", "财务部"),
          ("service", "赵工", "service_dispatcher", "售后服务组"),
          ("engineer", "孙工程师", "service_engineer", "售后服务组"),
          ("auditor", "周审计", "auditor", "总经理办公室"))

# Weighted choices for a customer: what kind of organisation it is, and its standing.
ORGANISATION_KINDS = (("factory", 72), ("hospital", 12), ("university", 7), ("utility", 9))
STATUSES = (("active", 45), ("potential", 35), ("dormant", 12), ("lost", 8))
LEVELS = (("key", 5), ("A", 15), ("B", 35), ("C", 45))
# Public institutions buy by tender; companies are met at fairs and through referrals.
PUBLIC_SOURCES = (("tender", 30), ("exhibition", 20), ("referral", 18), ("website", 12),
                  ("cold_call", 10), ("partner", 7), ("other", 3))
COMPANY_SOURCES = (("exhibition", 28), ("referral", 22), ("website", 18), ("cold_call", 14),
                   ("partner", 10), ("tender", 5), ("other", 3))
CUSTOMER_NOTES = (None, None, "年度预算一般在第四季度下达。", "对国产设备接受度高。",
                  "需通过其集团总部招标平台投标。", "曾采购过我司上一代产品。")

# Names of public institutions: (word in the name, word in the short name) and, for
# utilities, the industry.
HOSPITAL_NUMBERS = "一二三四五六"
UNIVERSITY_WORDS = (("职业技术学院", "职院"), ("理工学院", "理工"), ("科技大学", "科大"),
                    ("工程技术学校", "工校"))
UTILITY_WORDS = (("水务集团有限公司", "水务", "水务环保"),
                 ("市自来水有限公司", "自来水", "水务环保"),
                 ("市排水有限公司", "排水", "水务环保"),
                 ("环保科技有限公司", "环保", "水务环保"))
GROUP_WORDS = ("控股", "实业", "科技")  # 恒瑞控股集团有限公司

CONTACTS_PER_CUSTOMER = ((1, 25), (2, 35), (3, 25), (4, 15))
ACTIVITY_KINDS = (("call", 35), ("visit", 20), ("technical", 15), ("meeting", 12), ("email", 18))
# Follow-ups per customer, on average, by status.
ACTIVITY_PER_STATUS = {"active": 4, "potential": 3, "dormant": 1, "lost": 1}
WORK_HOURS_UTC = (1, 2, 3, 5, 6, 7, 8)  # 09:00–16:00 Beijing time
MINUTES = (0, 10, 15, 20, 30, 40, 45)
COUNTS = "两三四五六八"  # how many machines a note speaks of


# The catalogue: (code, name, type, model / specification, unit, list price, cost, tax rate,
# warranty months). Equipment and spare parts at 13 % VAT, services at 6 %.
PRODUCTS: tuple[tuple[str, str, str, str, str, str, str, str, int | None], ...] = (
    ("EQ-VMC850", "立式加工中心", "equipment", "VMC-850 三轴 BT40", "台",
     "368000.00", "251600.00", "13", 12),
    ("EQ-VMC1160", "立式加工中心", "equipment", "VMC-1160 三轴 BT40", "台",
     "468000.00", "322300.00", "13", 12),
    ("EQ-HMC630", "卧式加工中心", "equipment", "HMC-630 四轴 双交换台", "台",
     "1280000.00", "905000.00", "13", 18),
    ("EQ-CK6150", "数控车床", "equipment", "CK6150 × 1000", "台",
     "158000.00", "109800.00", "13", 12),
    ("EQ-FL3015", "光纤激光切割机", "equipment", "FL-3015 6kW", "台",
     "525000.00", "371200.00", "13", 12),
    ("EQ-BR100", "数控折弯机", "equipment", "WE67K-100T/3200", "台",
     "186000.00", "128500.00", "13", 12),
    ("EQ-RB20", "六轴工业机器人", "equipment", "RB-20 负载 20kg 臂展 1.7m", "套",
     "219000.00", "148900.00", "13", 24),
    ("EQ-CMM", "三坐标测量机", "equipment", "CMM-7106 桥式", "台",
     "596000.00", "418000.00", "13", 12),
    ("SP-SPD-BT40", "主轴组件", "spare_part", "BT40 12000rpm", "件",
     "38500.0000", "24100.0000", "13", 6),
    ("SP-BS4010", "滚珠丝杠", "spare_part", "Φ40 导程 10 C3 级", "根",
     "6850.0000", "4120.0000", "13", 6),
    ("SP-LG35", "直线导轨", "spare_part", "35 型 1200mm", "根",
     "2980.0000", "1790.0000", "13", 6),
    ("SP-LENS-D30", "激光保护镜片", "spare_part", "D30 × 5", "片",
     "48.5000", "21.3500", "13", None),
    ("SP-NOZ-1.5", "切割喷嘴", "spare_part", "双层 1.5mm", "个",
     "12.8000", "4.6500", "13", None),
    ("SP-SERVO-2KW", "伺服电机", "spare_part", "2kW 17 位编码器", "台",
     "4680.0000", "2950.0000", "13", 12),
    ("SV-INSTALL", "安装调试", "service", "设备就位、调平、试切", "次",
     "8000.00", "3500.00", "6", None),
    ("SV-TRAIN", "操作培训", "service", "3 天，现场或我司培训中心", "次",
     "6000.00", "2000.00", "6", None),
    ("SV-PM-YEAR", "年度保养服务", "service", "每年 2 次上门保养", "年",
     "18000.00", "7200.00", "6", None),
    ("SV-REPAIR", "上门维修", "service", "按次，不含备件", "次",
     "1500.00", "600.00", "6", None),
)
