"""The banks of the demo (head offices at province level, branches in Henan's cities) and loan-product templates.

Names follow the banks' public naming (中原银行郑州分行, 中国工商银行河南省分行 ...); codes are the platform's
own short institution codes, not the regulator's licence numbers.
"""

from dataclasses import dataclass, field

PROVINCE = "410000"
ZHENGZHOU = "410100"


@dataclass(frozen=True)
class Bank:
    code: str
    name: str  # the head office's name
    short_name: str
    brand: str  # prefix of branded product names (工银科创贷)
    branch_cities: tuple[str, ...]
    # City code -> branch name where the bank's naming is not "<brand><city>分行" (e.g. a head-office 营业部).
    branch_names: dict[str, str] = field(default_factory=dict)
    branch_pattern: str = "{bank}{city}分行"

    def branch_code(self, city_code: str) -> str:
        return f"{self.code}-{city_code}"

    def branch_name(self, city_code: str, city_short: str) -> str:
        if city_code in self.branch_names:
            return self.branch_names[city_code]
        return self.branch_pattern.format(bank=self.short_name, city=city_short)


BANKS: tuple[Bank, ...] = (
    Bank("ZYB", "中原银行", "中原银行", "中原",
         (ZHENGZHOU, "410300", "411300", "410700", "411400", "411600", "411500")),
    Bank("ZZB", "郑州银行", "郑州银行", "郑银",
         (ZHENGZHOU, "410300", "410200", "410700", "411300", "411000"),
         branch_names={ZHENGZHOU: "郑州银行总行营业部"}),
    Bank("ICBC", "中国工商银行河南省分行", "中国工商银行", "工银",
         (ZHENGZHOU, "410300", "410700", "410500", "411000")),
    Bank("ABC", "中国农业银行河南省分行", "中国农业银行", "农银",
         (ZHENGZHOU, "411300", "411600", "411700", "411400", "411500")),
    Bank("CCB", "中国建设银行河南省分行", "中国建设银行", "建行",
         (ZHENGZHOU, "410300", "410400", "410800")),
    Bank("BOC", "中国银行河南省分行", "中国银行", "中银",
         (ZHENGZHOU, "410300", "411100", "411200")),
    Bank("HNRCB", "河南农商银行", "河南农商银行", "农商",
         (ZHENGZHOU, "410200", "410600", "410900", "419001", "411600", "411700"),
         branch_pattern="{city}农商银行"),
    Bank("LYB", "洛阳银行", "洛阳银行", "洛银",
         ("410300", ZHENGZHOU, "411200", "410400"),
         branch_names={"410300": "洛阳银行总行营业部"}),
)  # fmt: skip


@dataclass(frozen=True)
class ProductTemplate:
    key: str
    name: str
    product_type: str
    guarantee_mode: str
    amount_wan: tuple[int, int]  # 万元
    term_months: tuple[int, int]
    rate: tuple[str, str]  # annual %, as strings for exact Decimals
    description: str
    sections: tuple[str, ...] = ()  # eligible GB/T 4754 sections; empty = every industry
    sizes: tuple[str, ...] = ()  # eligible size classes; empty = every size
    tags: tuple[str, ...] = ()  # required tags (any of); empty = none required
    region_rule: str = ""  # "" = the institution's region; "counties" = a few counties; "cities" = a few cities
    banks: tuple[str, ...] = ()  # banks that offer it; empty = any
    weight: float = 1.0
    min_grade: str = ""  # minimum platform credit grade (A best); empty = any


SME = ("medium", "small", "micro")
SMALL_MICRO = ("small", "micro")
TECH_TAGS = ("zjtx", "gxjs", "kjxzx")

PRODUCT_TEMPLATES: tuple[ProductTemplate, ...] = (
    ProductTemplate("kechuang", "科创贷", "working_capital", "04", (50, 1000), (6, 36), ("3.200", "4.800"),
                    "面向科技型中小企业的纯信用贷款，依据研发投入、知识产权和纳税情况核定额度。",
                    tags=TECH_TAGS, sizes=SME, min_grade="C", weight=2.0),
    ProductTemplate("zjtx", "专精特新贷", "working_capital", "04", (100, 3000), (12, 36), ("3.100", "4.500"),
                    "专精特新中小企业专属信用贷款，最高3000万元，利率优惠。", tags=("zjtx",), min_grade="B",
                    weight=1.5),
    ProductTemplate("shuiyi", "税易贷", "working_capital", "04", (10, 300), (3, 12), ("3.850", "6.000"),
                    "银税互动产品：依据纳税信用等级和纳税额线上审批，随借随还。", sizes=SME, min_grade="C", weight=2.5),
    ProductTemplate("kuaidai", "经营快贷", "working_capital", "04", (5, 200), (1, 12), ("3.900", "6.500"),
                    "小微企业线上信用贷款，全流程线上办理，最快当日放款。", sizes=SMALL_MICRO, weight=2.0),
    ProductTemplate("shoudai", "首贷通", "working_capital", "04", (10, 500), (6, 24), ("3.450", "5.200"),
                    "面向首次申请银行贷款的中小微企业，简化材料，专人辅导。", sizes=SME, weight=1.0),
    ProductTemplate("yunong", "豫农快贷", "agriculture", "04", (3, 100), (3, 24), ("3.950", "6.200"),
                    "面向新型农业经营主体的线上信用贷款，支持春耕备耕和农产品收购。",
                    sections=("A",), region_rule="counties", banks=("ABC", "HNRCB", "ZYB"), weight=2.0),
    ProductTemplate("huinong", "惠农担保贷", "agriculture", "03", (10, 300), (6, 36), ("3.600", "5.500"),
                    "由省农业信贷担保公司提供担保，支持种养殖和农产品加工。", sections=("A", "C"),
                    tags=("nyjyzt",), banks=("ABC", "HNRCB", "ZYB", "ZZB"), weight=1.2),
    ProductTemplate("zhichan", "知识产权质押贷", "ip_pledge", "01", (100, 2000), (12, 36), ("3.500", "5.000"),
                    "以专利权、商标权质押，盘活企业无形资产。", tags=TECH_TAGS, weight=1.0),
    ProductTemplate("changfang", "厂房按揭贷", "fixed_asset", "02", (200, 5000), (36, 120), ("3.600", "4.900"),
                    "用于购置或建设标准化厂房，以所购厂房抵押。", sections=("C",), weight=0.8),
    ProductTemplate("shebei", "设备更新贷", "fixed_asset", "03", (100, 3000), (12, 60), ("3.200", "4.600"),
                    "支持设备更新和技术改造，可叠加财政贴息。", sections=("C", "D"), weight=1.0),
    ProductTemplate("lianyi", "链e贷", "supply_chain", "01", (50, 2000), (3, 12), ("3.500", "5.200"),
                    "以核心企业应收账款质押，为上游供应商提供融资。", sections=("C", "F", "E"), weight=1.0),
    ProductTemplate("shanghu", "商户快贷", "working_capital", "04", (1, 50), (3, 12), ("4.350", "7.200"),
                    "面向个体工商户和小微商户的信用贷款，依据流水核定额度。",
                    sections=("F", "H", "O"), sizes=("micro",), weight=1.2),
    ProductTemplate("diya", "抵押经营贷", "working_capital", "02", (50, 3000), (12, 60), ("3.450", "4.800"),
                    "以房产或土地抵押，额度高、期限长。", weight=1.5),
    ProductTemplate("lvse", "绿色发展贷", "working_capital", "04", (100, 2000), (12, 36), ("3.100", "4.400"),
                    "支持节能降碳、清洁能源和生态环保项目。", sections=("C", "D", "N"), tags=("lsqy",),
                    min_grade="B", weight=0.8),
    ProductTemplate("zhengcai", "政采贷", "working_capital", "04", (10, 1000), (3, 12), ("3.650", "5.500"),
                    "凭政府采购中标合同申请，无需抵押担保。", weight=1.0),
    ProductTemplate("chuangye", "创业担保贷款", "working_capital", "03", (10, 300), (12, 36), ("2.000", "3.500"),
                    "财政贴息的创业担保贷款，面向小微企业和创业者。", sizes=SMALL_MICRO, banks=("HNRCB", "ZYB", "ABC"),
                    weight=0.8),
    ProductTemplate("piaoju", "票据贴现", "bill_discount", "01", (10, 5000), (1, 12), ("1.300", "2.500"),
                    "银行承兑汇票贴现，秒级到账。", weight=0.6),
    ProductTemplate("waimao", "外贸融资贷", "trade_finance", "03", (50, 2000), (3, 12), ("3.300", "4.800"),
                    "依托出口信用保险保单，为外贸企业提供订单融资。", sections=("C", "F"),
                    region_rule="cities", weight=0.6),
    ProductTemplate("jiangong", "建工贷", "working_capital", "03", (100, 3000), (6, 24), ("3.800", "5.500"),
                    "面向建筑施工企业的工程项目流动资金贷款。", sections=("E",), weight=0.7),
    ProductTemplate("wenlv", "文旅贷", "working_capital", "04", (20, 500), (6, 36), ("3.800", "5.600"),
                    "支持文化旅游、住宿餐饮企业恢复和扩大经营。", sections=("H", "R"), weight=0.6),
    ProductTemplate("wuliu", "物流贷", "working_capital", "04", (20, 800), (6, 24), ("3.800", "5.500"),
                    "面向道路运输和仓储物流企业，支持购车和运营周转。", sections=("G",), weight=0.6),
    ProductTemplate("rencai", "人才贷", "working_capital", "04", (50, 1000), (12, 36), ("3.000", "4.200"),
                    "面向高层次人才创办企业的信用贷款。", tags=("gxjs", "kjxzx"), region_rule="cities",
                    min_grade="B", weight=0.5),
)  # fmt: skip

TEMPLATES_BY_KEY = {t.key: t for t in PRODUCT_TEMPLATES}


@dataclass(frozen=True)
class ProductSlot:
    """One product to publish: which template at which node of which bank, and its display name."""

    bank: str
    location: str  # "hq" or a branch's city code
    template: str
    name: str

    @property
    def institution_code(self) -> str:
        return self.bank if self.location == "hq" else f"{self.bank}-{self.location}"


# Products the demo logins rely on (the demo SME applies to them; the demo officer's branch owns some).
ANCHOR_PRODUCTS: tuple[ProductSlot, ...] = (
    ProductSlot("ZYB", ZHENGZHOU, "kechuang", "科创贷"),
    ProductSlot("ZYB", ZHENGZHOU, "zjtx", "专精特新贷"),
    ProductSlot("ZYB", ZHENGZHOU, "shuiyi", "税易贷"),
    ProductSlot("ZZB", ZHENGZHOU, "zjtx", "郑银专精特新贷"),
    ProductSlot("ICBC", ZHENGZHOU, "kuaidai", "工银经营快贷"),
    ProductSlot("CCB", ZHENGZHOU, "kechuang", "建行科创贷"),
    ProductSlot("HNRCB", "hq", "yunong", "豫农快贷"),
)
