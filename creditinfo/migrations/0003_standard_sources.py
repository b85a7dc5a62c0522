"""The standard provincial data sources (creditinfo/sources.py, copied here literally: a migration must not
change when that module does), and the provincial credit platform's aggregated feed, which sends every
category (the README's sample file is one of its files)."""

from django.db import migrations

STANDARD_SOURCES = [
    ("samr-registration", "市场主体登记信息", "河南省市场监督管理局", "registration"),
    ("samr-licence", "行政许可信息（双公示）", "河南省市场监督管理局", "licence"),
    ("samr-penalty", "行政处罚信息（双公示）", "河南省市场监督管理局", "penalty"),
    ("samr-abnormal", "经营异常名录", "河南省市场监督管理局", "abnormal_operation"),
    ("ndrc-dishonesty", "严重违法失信名单", "河南省发展和改革委员会", "serious_dishonesty"),
    ("court-debtor", "失信被执行人名单", "河南省高级人民法院", "judgment_debtor"),
    ("tax-grade", "纳税信用等级", "国家税务总局河南省税务局", "tax_grade"),
    ("hrss-social-insurance", "社会保险和住房公积金缴纳信息", "河南省人力资源和社会保障厅", "social_insurance"),
    ("utility-payment", "水电气缴费信息", "供水、供电、供气企业（省信用平台归集）", "utility"),
    ("gov-honour", "表彰奖励信息", "河南省人民政府办公厅", "honour"),
    ("ndrc-commitment", "信用承诺及履约信息", "河南省发展和改革委员会", "commitment"),
    ("ipa-ip", "知识产权信息", "河南省知识产权局", "intellectual_property"),
]

# Not one department's feed: a source with no main category accepts rows of every category.
AGGREGATED_SOURCE = ("credit-henan", "信用河南归集数据（多部门）", "河南省发展和改革委员会（省信用办）", "")


def create_sources(apps, schema_editor):
    DataSource = apps.get_model("creditinfo", "DataSource")
    for code, name, department, category in [*STANDARD_SOURCES, AGGREGATED_SOURCE]:
        DataSource.objects.get_or_create(
            code=code, defaults={"name": name, "department": department, "category": category}
        )


class Migration(migrations.Migration):
    dependencies = [("creditinfo", "0002_credit_information")]

    operations = [migrations.RunPython(create_sources, migrations.RunPython.noop)]
