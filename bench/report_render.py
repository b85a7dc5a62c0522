"""Benchmark: how long a typical credit report takes to render (issue 4: under 2 s).

    DATABASE_URL=postgres://... .venv/bin/python -m bench.report_render [--runs 10]

In-process and single-threaded, as the Celery task renders it: the standardized profile read (two queries),
the print template, then WeasyPrint to PDF bytes (layout, then the CJK font subset). The enterprise is typical:
40 published records across all twelve sections (some with long detail text) and an evaluation computed by the
real scoring model. Everything is created inside a transaction that is rolled back, so the database (which must
be migrated) is left as it was. Writes bench/results/report-render-<UTC timestamp>.json and prints the figures.
"""

import argparse
import datetime
import io
import json
import os
import platform
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 2.0

# (category, severity, title, detail): 40 records, every section of the profile.
RECORDS = [
    ("registration", "", "设立登记", "郑州高新技术产业开发区市场监督管理局核准设立，注册资本1000万元"),
    ("registration", "", "变更登记：经营范围", "增加：软件开发；信息系统集成服务"),
    ("licence", "", "增值电信业务经营许可证", "许可内容：信息服务业务（仅限互联网信息服务）"),
    ("licence", "", "排污许可证", "有效期五年"),
    ("licence", "", "建筑业企业资质证书", "电子与智能化工程专业承包二级"),
    ("licence", "", "安全生产许可证", ""),
    ("penalty", "minor", "未按规定公示年度报告", "责令改正，罚款人民币二千元"),
    ("penalty", "general", "违反消防安全管理规定", "罚款人民币一万元，联系人手机 13812345678"),
    ("penalty", "general", "虚假宣传", "罚款人民币三万元"),
    ("penalty", "serious", "偷税", "追缴税款并处罚款人民币二十万元"),
    ("abnormal_operation", "general", "通过登记的住所无法联系", "列入经营异常名录"),
    ("serious_dishonesty", "serious", "拒不履行行政处罚决定", "列入严重违法失信名单"),
    ("judgment_debtor", "serious", "有履行能力而拒不履行生效法律文书确定义务", "（2025）豫0191执1234号"),
    ("tax_grade", "", "2022年度纳税信用等级 B", ""),
    ("tax_grade", "", "2023年度纳税信用等级 B", ""),
    ("tax_grade", "", "2024年度纳税信用等级 A", ""),
    ("tax_grade", "", "2025年度纳税信用等级 A", ""),
    ("social_insurance", "", "2025年10月社会保险费足额缴纳", "参保职工58人"),
    ("social_insurance", "", "2025年11月社会保险费足额缴纳", "参保职工60人"),
    ("social_insurance", "", "2025年12月住房公积金足额缴存", ""),
    ("social_insurance", "minor", "2026年1月社会保险费欠缴", "欠缴金额人民币12,345.67元"),
    ("social_insurance", "", "2026年2月社会保险费足额缴纳", ""),
    ("utility", "", "2025年度电费按期缴纳", "国网郑州供电公司"),
    ("utility", "", "2025年度水费按期缴纳", "郑州自来水投资控股有限公司"),
    ("utility", "minor", "燃气费欠缴", "欠缴金额人民币3,200.00元"),
    ("utility", "", "2026年第一季度电费按期缴纳", ""),
    ("honour", "", "河南省专精特新中小企业", "河南省工业和信息化厅认定"),
    ("honour", "", "高新技术企业", "证书编号 GR202541001234"),
    ("honour", "", "郑州市守合同重信用企业", ""),
    ("honour", "", "A级纳税人", ""),
    ("commitment", "", "信用承诺：依法诚信纳税", "已履行"),
    ("commitment", "", "信用承诺：安全生产", "已履行"),
    ("commitment", "general", "信用承诺：按期完成整改", "未履行"),
    ("commitment", "", "告知承诺制办理许可", "已履行"),
    ("intellectual_property", "", "发明专利：一种基于深度学习的工业缺陷检测方法", "ZL202310123456.7"),
    ("intellectual_property", "", "实用新型专利：智能巡检机器人底盘", "ZL202420987654.3"),
    ("intellectual_property", "", "软件著作权：云图工业视觉平台V3.0", "2024SR0123456"),
    ("intellectual_property", "", "注册商标：云图", "第9类 第12345678号"),
    ("intellectual_property", "", "发明专利：多模态数据融合的设备故障预测方法", "ZL202410654321.0"),
    ("intellectual_property", "", "软件著作权：设备健康管理系统V2.1", "2025SR0654321"),
]


def _setup_django(database_url: str | None) -> None:
    sys.path.insert(0, str(ROOT))
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinyidai.settings")
    # Production settings, as the Celery worker runs them: they want a secret key, which nothing here uses.
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    import django

    django.setup()


def typical_report():
    """A pending report of an enterprise with the RECORDS above and its real evaluation (unsaved file)."""
    from django.utils import timezone

    from creditinfo import scoring
    from creditinfo.models import CreditReport, Evaluation
    from creditinfo.services.reports import report_number, verification_code_new
    from tests.factories import CreditRecordFactory, DataSourceFactory, EnterpriseFactory, SmeUserFactory

    today = timezone.localdate()
    enterprise = EnterpriseFactory(name="郑州云图智能科技有限公司", legal_representative="王小明")
    user = SmeUserFactory(enterprise=enterprise)
    for n, (category, severity, title, detail) in enumerate(RECORDS):
        source = DataSourceFactory(
            code=f"bench-{category}"[:32], name="河南省公共信用信息平台", department="河南省发展和改革委员会"
        )
        CreditRecordFactory(
            enterprise=enterprise,
            source=source,
            category=category,
            severity=severity,
            title=title,
            detail=detail,
            decision_date=today - datetime.timedelta(days=20 + 23 * n),
            publish_until=today + datetime.timedelta(days=365),
        )
    facts = [
        scoring.RecordFacts(r.id, r.category, r.severity, r.decision_date, r.publish_until, r.status, r.title)
        for r in enterprise.credit_records.all()
    ]
    features = scoring.features_from_records(enterprise_id=enterprise.pk, created_on=None, records=facts, today=today)
    result = scoring.score(features)
    Evaluation.objects.create(
        enterprise=enterprise,
        score=result.score,
        grade=result.grade,
        factors=result.factors,
        improvements=result.improvements,
        model_version=result.model_version,
    )
    report = CreditReport.objects.create(
        enterprise=enterprise, requested_by=user, number="BENCH", verification_code=verification_code_new()
    )
    report.number = report_number(report_id=report.pk, on=today)
    return report


def run(runs: int) -> dict:
    from django.db import transaction
    from django.utils import timezone
    from pypdf import PdfReader

    from creditinfo.services.reports import report_render

    timings, cpu, sizes = [], [], []
    with transaction.atomic():
        report = typical_report()
        records = report.enterprise.credit_records.count()
        report_render(report=report, issued_at=timezone.now(), base_url="https://xyd.example/")  # warm-up
        for _ in range(runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            pdf = report_render(report=report, issued_at=timezone.now(), base_url="https://xyd.example/")
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            sizes.append(len(pdf))
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        transaction.set_rollback(True)
    return {"records": records, "timings": timings, "cpu": cpu, "pdf_bytes": max(sizes), "pages": pages}


def _subsetter() -> str:
    from weasyprint.text.ffi import harfbuzz_subset

    return "harfbuzz" if harfbuzz_subset is not None else "fonttools"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    _setup_django(args.database_url)
    measured = run(args.runs)
    import weasyprint

    timings, cpu = measured["timings"], measured["cpu"]
    figures = {"min": min(timings), "median": statistics.median(timings), "max": max(timings)}
    cpu_figures = {"min": min(cpu), "median": statistics.median(cpu), "max": max(cpu)}
    now = datetime.datetime.now(datetime.UTC)
    result = {
        "benchmark": "report-render",
        "started_at": now.isoformat(timespec="seconds"),
        "runs": args.runs,
        "records": measured["records"],
        "pdf_bytes": measured["pdf_bytes"],
        "pages": measured["pages"],
        # Wall-clock time is what the target is about; CPU time of this process shows what a busy machine adds.
        "seconds": {key: round(value, 4) for key, value in figures.items()},
        "cpu_seconds": {key: round(value, 4) for key, value in cpu_figures.items()},
        "all_seconds": [round(t, 4) for t in timings],
        "target_seconds": TARGET_SECONDS,
        "meets_target": figures["median"] < TARGET_SECONDS,
        "environment": {
            "python": platform.python_version(),
            "weasyprint": weasyprint.__version__,
            "font_subsetter": _subsetter(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
        },
    }
    out = ROOT / "bench" / "results" / f"report-render-{now:%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    verdict = "OK" if result["meets_target"] else "MISS"
    print(
        f"report render, {measured['records']} records, {args.runs} runs: min {figures['min']:.3f} s, "
        f"median {figures['median']:.3f} s, max {figures['max']:.3f} s; CPU median {cpu_figures['median']:.3f} s "
        f"(target < {TARGET_SECONDS} s: {verdict}; subsetter {_subsetter()}) -> {out.relative_to(ROOT)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
