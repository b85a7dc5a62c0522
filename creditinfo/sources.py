"""The provincial departments that feed the platform, one data source per department and category.

The codes are what `import_credit_records --source CODE` and the upload page take. A data migration
(0003_standard_sources) creates these rows; operators add others in the admin. A source with a main
category accepts only rows of that category; AGGREGATED_SOURCE, the provincial credit platform's own
collection, has none and accepts every category.
"""

from creditinfo.models import RecordCategory as C

# (code, name, department, category)
STANDARD_SOURCES = [
    ("samr-registration", "市场主体登记信息", "河南省市场监督管理局", C.REGISTRATION),
    ("samr-licence", "行政许可信息（双公示）", "河南省市场监督管理局", C.LICENCE),
    ("samr-penalty", "行政处罚信息（双公示）", "河南省市场监督管理局", C.PENALTY),
    ("samr-abnormal", "经营异常名录", "河南省市场监督管理局", C.ABNORMAL_OPERATION),
    ("ndrc-dishonesty", "严重违法失信名单", "河南省发展和改革委员会", C.SERIOUS_DISHONESTY),
    ("court-debtor", "失信被执行人名单", "河南省高级人民法院", C.JUDGMENT_DEBTOR),
    ("tax-grade", "纳税信用等级", "国家税务总局河南省税务局", C.TAX_GRADE),
    ("hrss-social-insurance", "社会保险和住房公积金缴纳信息", "河南省人力资源和社会保障厅", C.SOCIAL_INSURANCE),
    ("utility-payment", "水电气缴费信息", "供水、供电、供气企业（省信用平台归集）", C.UTILITY),
    ("gov-honour", "表彰奖励信息", "河南省人民政府办公厅", C.HONOUR),
    ("ndrc-commitment", "信用承诺及履约信息", "河南省发展和改革委员会", C.COMMITMENT),
    ("ipa-ip", "知识产权信息", "河南省知识产权局", C.INTELLECTUAL_PROPERTY),
]

AGGREGATED_SOURCE = ("credit-henan", "信用河南归集数据（多部门）", "河南省发展和改革委员会（省信用办）", "")
