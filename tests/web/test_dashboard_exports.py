"""The dashboard's downloads: every table as CSV and XLSX (money in yuan, headers in the user's language, ASCII
file names), and the whole dashboard as a PDF. The world and its hand-computed figures: tests/web/test_dashboard.py.
"""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from lending.dashboard import COLUMNS, TABLE_SPECS
from lending.models.targets import Target
from lending.rollups import stats_rebuild
from tests.web.test_dashboard import build_world
from tests.web.utils import logged_in
from xinyidai.exports import ExportColumn, ascii_filename, csv_response, xlsx_response

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

HEADERS = [
    "Loan balance (yuan)",
    "Credit-loan balance (yuan)",
    "Credit-loan share (ratio)",
    "Loans outstanding",
    "Borrowers (enterprises)",
    "Amount disbursed (yuan)",
    "Loans disbursed",
    "Credit granted (yuan)",
    "Credit approvals",
    "New first-loan customers",
]


@pytest.fixture
def world():
    built = build_world()
    stats_rebuild()
    return built


def _csv(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")  # Excel reads the Chinese with the BOM
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def test_region_table_as_csv_has_the_pages_rows_in_yuan(world):
    client = logged_in(world.staff_province)
    page = client.get("/dashboard/")
    response = client.get("/dashboard/export/region.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    period = page.context["period"]
    filename = f"dashboard-410000-region-{period.start:%Y%m}-{period.end:%Y%m}.csv"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    header, *rows = _csv(response)
    assert header == ["Region", "Region code", *HEADERS]
    by_code = {row[1]: row for row in rows}
    # 郑州: L1 600,000 + L2 2,000,000 + L4 500,000; credit 600,000; disbursed L1, L2, L5; granted L1, L2; e2 first.
    assert by_code["410100"] == ["郑州市", "410100", "3100000.00", "600000.00", "0.1935", "3", "2",
                                 "3800000.00", "3", "3200000.00", "2", "1"]  # fmt: skip
    assert by_code["410300"] == ["洛阳市", "410300", "3000000.00", "3000000.00", "1.0000", "1", "1",
                                 "3000000.00", "1", "0.00", "0", "0"]  # fmt: skip
    # The same rows as the page's table.
    [table] = [t for t in page.context["tables"] if t.name == "region"]
    assert [row.label for row in table.rows] == [row[0] for row in rows]


def test_the_range_and_region_of_the_query_apply_to_the_export(world):
    client = logged_in(world.staff_province)
    response = client.get("/dashboard/export/guarantee_mode.csv", {"region": "410100", "from": "2000-01"})
    assert response.status_code == 400  # more than 120 months: the form's error, as on the page
    response = client.get("/dashboard/export/guarantee_mode.csv", {"region": "410100"})
    header, *rows = _csv(response)
    assert header[:2] == ["Guarantee mode", "Code"]
    assert {row[1]: row[2] for row in rows} == {"04": "600000.00", "02": "2000000.00", "03": "500000.00"}
    assert response["Content-Disposition"].startswith('attachment; filename="dashboard-410100-guarantee_mode-')


def test_bank_table_as_xlsx_keeps_numbers_as_numbers(world):
    response = logged_in(world.staff_province).get("/dashboard/export/bank.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert re.fullmatch(
        r'attachment; filename="dashboard-410000-bank-\d{6}-\d{6}\.xlsx"', response["Content-Disposition"]
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header == ["Bank", *HEADERS]  # no code column for banks
    by_name = {row[0]: row for row in rows}
    bank_a = by_name["中原银行"]
    assert bank_a[1:] == [3600000, 3600000, 1, 2, 2, 4800000, 3, 1200000, 1, 0]
    assert all(isinstance(value, int | float) for value in bank_a[1:])
    assert Decimal(str(by_name["郑州银行"][1])) == Decimal("2500000")
    assert sheet["B2"].number_format == "#,##0.00" and sheet["D2"].number_format == "0.00%"


def test_headers_follow_the_users_language(world):
    client = logged_in(world.staff_province)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    header = _csv(client.get("/dashboard/export/size_class.csv"))[0]
    # The headers are the catalog's (msgids are English): "Size class" is 企业规模 once messages are compiled.
    with translation.override("zh-hans"):
        expected = [str(TABLE_SPECS["size_class"].key_label), str(TABLE_SPECS["size_class"].code_label)]
        expected += [str(column.export_label) for column in COLUMNS]
    assert header == expected


def test_tables_outside_the_users_view_are_not_found(world):
    staff, head = logged_in(world.staff_province), logged_in(world.head_a)
    assert staff.get("/dashboard/export/branch.csv").status_code == 404  # a head office's table
    assert head.get("/dashboard/export/bank.csv").status_code == 404
    assert staff.get("/dashboard/export/nothing.csv").status_code == 404
    assert staff.get("/dashboard/export/region.pdf").status_code == 404
    assert logged_in(world.staff_zz).get("/dashboard/export/region.csv", {"region": "410300"}).status_code == 404
    assert logged_in(world.officer_a_zz).get("/dashboard/export/region.csv").status_code == 403
    # The head office's branch table.
    header, *rows = _csv(head.get("/dashboard/export/branch.csv"))
    assert header[0] == "Branch" and {row[0]: row[1] for row in rows} == {
        "中原银行洛阳分行": "3000000.00", "中原银行郑州分行": "600000.00"}  # fmt: skip


def test_the_pdf_prints_the_kpis_targets_and_every_table(world):
    Target.objects.get_or_create(  # seeded by a migration, unless a transactional test flushed it
        region=world.province, metric="balance", deadline=datetime.date(2025, 12, 31),
        defaults={"value": Decimal("2000000000000.00")},
    )  # fmt: skip
    response = logged_in(world.staff_province).get("/dashboard/pdf/", {"region": "410000"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert re.fullmatch(r'inline; filename="dashboard-410000-all-\d{6}-\d{6}\.pdf"', response["Content-Disposition"])
    reader = PdfReader(io.BytesIO(response.content))
    # pypdf may break a line anywhere in a CJK run: compare without whitespace.
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    assert "Creditdashboard:河南省" in text
    assert "Loanbalance610.0010kyuan" in text  # the KPI
    assert "19,999.94100myuan" in text  # the seeded target, missed by this much
    assert "郑州市310.0010kyuan60.0010kyuan19.35%" in text  # the region table's row
    assert "中原银行360.0010kyuan360.0010kyuan100.00%" in text  # the bank table's row
    for title in ("Bycity", "Bybank", "Byproducttype", "Byguaranteemode", "Byindustrysection", "Bysizeclass"):
        assert title in text


def test_exports_module_on_its_own():
    columns = [ExportColumn("Name"), ExportColumn("Amount", "money"), ExportColumn("Share", "ratio")]
    rows = [["=HYPERLINK(1)", Decimal("1234.5"), Decimal("0.25")], ["plain", None, None]]
    body = csv_response(filename="表 1.csv", columns=columns, rows=rows)
    assert body["Content-Disposition"] == 'attachment; filename="1.csv"'
    assert _csv(body) == [["Name", "Amount", "Share"], ["'=HYPERLINK(1)", "1234.50", "0.25"], ["plain", "", ""]]
    sheet = load_workbook(io.BytesIO(xlsx_response(filename="t.xlsx", columns=columns, rows=rows).content)).active
    assert sheet["A2"].value == "=HYPERLINK(1)" and sheet["A2"].data_type == "s"  # text, not a formula
    assert sheet["B2"].value == 1234.5 and sheet["C3"].value is None
    assert ascii_filename("../x y.csv") == "x_y.csv"
