"""The import service on PostgreSQL (COPY + set-based upsert) and through the ORM path: validation, idempotency,
skeletons, publication ends, statuses, duplicates across chunks, the command and its JSON line."""

import datetime
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from creditinfo import tasks
from creditinfo.models import CreditRecord, Enterprise, ImportBatch
from creditinfo.publication import add_months
from tests.creditinfo.import_utils import TODAY, counts, csv_bytes, errors_of, jsonl_bytes, row, run_import, uscc
from tests.factories import CountyFactory, CreditRecordFactory, DataSourceFactory, EnterpriseFactory

pytestmark = [pytest.mark.django_db]

SAMPLE = "creditinfo/samples/credit_records_sample"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def recompute(monkeypatch):
    """Stands in for the evaluation task: records the batches it was asked to re-evaluate."""

    class FakeTask:
        calls = []

        def delay(self, **kwargs):
            self.calls.append(kwargs)

    fake = FakeTask()
    monkeypatch.setattr(tasks, "evaluations_recompute", fake, raising=False)
    return fake


@pytest.fixture
def county(db):
    return CountyFactory()  # 金水区 410105, with 郑州市 410100 and the province 410000


@pytest.fixture
def enterprise(county):
    return EnterpriseFactory(uscc=uscc(9_000_000), region=county)


@pytest.fixture(params=["copy", "orm"])
def path(request, on_postgres):
    """Both write paths: COPY + SQL (PostgreSQL) and ORM bulk operations (the SQLite path, run here too)."""
    if request.param == "copy" and not on_postgres:
        pytest.skip("COPY needs PostgreSQL")
    return {"use_copy": request.param == "copy"}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_each_encoding_imports_the_chinese_text(enterprise, encoding, path):
    batch = run_import(csv_bytes([row(title="未按规定公示年度报告（第二次）")], encoding=encoding), **path)
    assert batch.status == ImportBatch.Status.DONE
    assert batch.encoding == encoding and batch.file_format == "csv"
    assert counts(batch) == (1, 0, 0, 0)
    record = CreditRecord.objects.get()
    assert record.title == "未按规定公示年度报告（第二次）" and record.enterprise == enterprise
    assert record.authority == "郑州市金水区市场监督管理局" and record.batch == batch


def test_jsonl_with_the_same_keys(enterprise, path):
    batch = run_import(jsonl_bytes([row(), row(source_record_id="CF-0002")]), name="feed.csv", **path)
    assert batch.file_format == "jsonl" and counts(batch) == (2, 0, 0, 0)


def test_the_sample_files_import_with_their_two_deliberate_errors(reference_data, path):
    for suffix, first_error in ((".csv", 20), (".jsonl", 19)):
        with open(SAMPLE + suffix, "rb") as sample:
            batch = run_import(sample.read(), name="sample" + suffix, **path)
        assert batch.error_count == 2
        assert [n for n, _field in errors_of(batch)][0] == first_error
    assert CreditRecord.objects.values("category").distinct().count() >= 8
    assert Enterprise.objects.filter(uscc="91410305MA0621LX3C", is_skeleton=True, region__code="410305").exists()


ERROR_CASES = [
    ("missing id", {"source_record_id": ""}, "source_record_id"),
    ("missing uscc", {"uscc": ""}, "uscc"),
    ("uscc check character", {"uscc": uscc(9_000_000)[:-1] + ("0" if uscc(9_000_000)[-1] != "0" else "1")}, "uscc"),
    ("uscc length", {"uscc": "91410105MA0MX3BP6"}, "uscc"),
    ("uscc alphabet", {"uscc": "91410105MA0MX3BPO8"}, "uscc"),
    ("missing category", {"category": ""}, "category"),
    ("unknown category", {"category": "fine"}, "category"),
    ("missing decision date", {"decision_date": ""}, "decision_date"),
    ("date format", {"decision_date": "2026/03/01"}, "decision_date"),
    ("date compact", {"decision_date": "20260301"}, "decision_date"),
    ("impossible date", {"decision_date": "2026-02-30"}, "decision_date"),
    ("future decision", {"decision_date": (TODAY + datetime.timedelta(days=3)).isoformat()}, "decision_date"),
    ("publish_until format", {"publish_until": "next year"}, "publish_until"),
    ("publish_until before decision", {"publish_until": "2000-01-01"}, "publish_until"),
    ("unknown severity", {"severity": "grave"}, "severity"),
    ("dishonesty without severity", {"severity": ""}, "severity"),
    ("severity on a positive record", {"category": "honour", "severity": "minor"}, "severity"),
    ("missing title", {"title": ""}, "title"),
    ("title too long", {"title": "长" * 201}, "title"),
    ("id too long", {"source_record_id": "X" * 65}, "source_record_id"),
    ("authority too long", {"authority": "局" * 129}, "authority"),
    ("name too long", {"enterprise_name": "公司" * 65}, "enterprise_name"),
    ("tax grade letter", {"category": "tax_grade", "severity": "", "title": "AA"}, "title"),
]


@pytest.mark.parametrize(("case", "overrides", "field"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_each_kind_of_row_error_names_row_and_field_and_changes_nothing(enterprise, case, overrides, field, path):
    batch = run_import(
        csv_bytes([row(source_record_id="OK-1"), row(**overrides), row(source_record_id="OK-3")]), **path
    )
    assert batch.status == ImportBatch.Status.DONE
    assert counts(batch) == (2, 0, 0, 1)
    assert errors_of(batch) == [(3, field)]  # the header is row 1
    error = batch.row_errors.get()
    assert error.message and len(error.value) <= 255
    assert set(CreditRecord.objects.values_list("source_record_id", flat=True)) == {"OK-1", "OK-3"}
    assert Enterprise.objects.count() == 1  # the refused row made no skeleton either


def test_a_source_with_a_category_accepts_only_that_category(enterprise, path):
    rows = [row(), row(source_record_id="H-1", category="honour", severity="")]
    batch = run_import(csv_bytes(rows), source="samr-penalty", **path)
    assert counts(batch) == (1, 0, 0, 1) and errors_of(batch) == [(3, "category")]


def test_the_abnormal_operation_list_may_carry_a_severity_or_none(enterprise, path):
    """经营异常名录 has no severity grading (the seeder sends none); penalties and dishonesty lists must have one."""
    rows = [
        row(source_record_id="AB-1", category="abnormal_operation", severity=""),
        row(source_record_id="AB-2", category="abnormal_operation", severity="general"),
        row(source_record_id="JD-1", category="judgment_debtor", severity=""),
    ]
    batch = run_import(csv_bytes(rows), source="credit-henan", **path)
    assert counts(batch) == (2, 0, 0, 1) and errors_of(batch) == [(4, "severity")]
    severities = dict(CreditRecord.objects.values_list("source_record_id", "severity"))
    assert severities == {"AB-1": "", "AB-2": "general"}


def test_tax_grade_rows_carry_the_grade_letter_in_title(enterprise, path):
    rows = [
        row(category="tax_grade", severity="", title="a"),
        row(source_record_id="T2", category="tax_grade", severity="", title="M"),
    ]
    batch = run_import(csv_bytes(rows), source="tax-grade", **path)
    assert counts(batch) == (2, 0, 0, 0)
    assert sorted(CreditRecord.objects.values_list("title", flat=True)) == ["A", "M"]


def test_several_errors_of_one_row_are_all_listed(enterprise, path):
    batch = run_import(csv_bytes([row(uscc="123", decision_date="yesterday", category="x")]), **path)
    assert batch.error_count == 1
    assert {field for _n, field in errors_of(batch)} == {"uscc", "decision_date", "category"}


def test_rows_with_a_wrong_number_of_fields_and_bad_json_lines_are_row_errors(enterprise, path):
    content = csv_bytes([row()]) + b"CF-9,x\r\n"
    batch = run_import(content, **path)
    assert counts(batch) == (1, 0, 0, 1) and errors_of(batch) == [(3, "")]
    content = jsonl_bytes([row(source_record_id="J-1")]) + b"{not json\n" + b"[1, 2]\n"
    content += jsonl_bytes([row(source_record_id="J-4", title=["x"]), row(source_record_id=5)])
    batch = run_import(content, **path)
    assert counts(batch) == (2, 0, 0, 3)  # a number is taken as its text: id "5"
    assert errors_of(batch) == [(2, ""), (3, ""), (4, "title")]
    assert CreditRecord.objects.filter(source_record_id="5").exists()


def test_undecodable_bytes_refuse_only_their_row(enterprise, path):
    content = csv_bytes([row(source_record_id="U-1")], encoding="gb18030")
    content += (
        b"U-2," + uscc(9_000_000).encode() + b",\xff\x80,penalty," + (TODAY.isoformat() + ",minor,t,,,\r\n").encode()
    )
    batch = run_import(content, **path)
    assert batch.encoding == "gb18030"  # not UTF-8; GB18030 cannot decode those bytes either
    assert counts(batch) == (1, 0, 0, 1) and errors_of(batch) == [(3, "enterprise_name")]


def test_a_bad_header_fails_the_batch_and_writes_nothing(enterprise, path):
    header = [c for c in row() if c != "title"]
    batch = run_import(csv_bytes([row()], header=header), **path)
    assert batch.status == ImportBatch.Status.FAILED and "title" in batch.failure
    assert CreditRecord.objects.count() == 0


def test_columns_in_another_order_and_extra_columns(enterprise, path):
    header = ["note", *reversed(list(row()))]
    batch = run_import(csv_bytes([row()], header=header), **path)
    assert counts(batch) == (1, 0, 0, 0) and CreditRecord.objects.get().title == "未按规定公示年度报告"


def test_reimporting_the_same_file_changes_nothing(enterprise, path):
    rows = [row(source_record_id=f"CF-{i}") for i in range(5)]
    first = run_import(csv_bytes(rows), chunk_rows=2, **path)
    assert counts(first) == (5, 0, 0, 0)
    before = {r.pk: (r.updated_at, r.batch_id, r.content_hash) for r in CreditRecord.objects.all()}
    second = run_import(csv_bytes(rows), chunk_rows=2, **path)
    assert counts(second) == (0, 0, 5, 0)
    assert {r.pk: (r.updated_at, r.batch_id, r.content_hash) for r in CreditRecord.objects.all()} == before


def test_reimport_issues_no_update_on_postgres(enterprise, on_postgres):
    if not on_postgres:
        pytest.skip("counts PostgreSQL tuple updates")
    rows = [row(source_record_id=f"CF-{i}") for i in range(5)]
    run_import(csv_bytes(rows))
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM creditinfo_creditrecord ORDER BY id")
        before = cursor.fetchall()
        run_import(csv_bytes(rows))
        cursor.execute("SELECT xmin::text FROM creditinfo_creditrecord ORDER BY id")
        assert cursor.fetchall() == before  # no row version was written


def test_a_changed_row_updates_its_record_and_only_it(enterprise, path):
    rows = [row(source_record_id="CF-1"), row(source_record_id="CF-2")]
    first = run_import(csv_bytes(rows), **path)
    kept = CreditRecord.objects.get(source_record_id="CF-2")
    rows[0]["detail"] = "警告，罚款人民币八千元"
    second = run_import(csv_bytes(rows), **path)
    assert counts(second) == (0, 1, 1, 0)
    changed = CreditRecord.objects.get(source_record_id="CF-1")
    assert changed.detail == "警告，罚款人民币八千元" and changed.batch == second
    assert changed.updated_at > changed.created_at
    kept_now = CreditRecord.objects.get(source_record_id="CF-2")
    assert (kept_now.batch_id, kept_now.updated_at) == (first.pk, kept.updated_at)


def test_enterprise_name_is_not_record_content(enterprise, path):
    run_import(csv_bytes([row()]), **path)
    batch = run_import(csv_bytes([row(enterprise_name="另一个名字")]), **path)
    assert counts(batch) == (0, 0, 1, 0)


@pytest.mark.parametrize(
    ("status", "after"),
    [("disputed", "disputed"), ("repaired", "repaired"), ("removed", "removed"), ("expired", "active")],
)
def test_a_changed_row_keeps_the_platforms_decision_on_the_record(enterprise, path, status, after):
    run_import(csv_bytes([row()]), **path)
    CreditRecord.objects.update(status=status)
    batch = run_import(csv_bytes([row(detail="更正后的处罚内容")]), **path)
    assert counts(batch) == (0, 1, 0, 0)
    record = CreditRecord.objects.get()
    assert record.detail == "更正后的处罚内容" and record.status == after


def test_records_of_other_sources_with_the_same_id_are_separate(enterprise, path):
    other = DataSourceFactory(code="other-feed", category="")
    CreditRecordFactory(source=other, source_record_id="CF-0001", enterprise=enterprise)
    batch = run_import(csv_bytes([row()]), **path)
    assert counts(batch) == (1, 0, 0, 0) and CreditRecord.objects.count() == 2


def test_unknown_usccs_become_skeletons_in_the_region_of_their_code(reference_data, path):
    rows = [
        row(source_record_id="S-1", uscc=uscc(7, "410305"), enterprise_name="洛阳涧西精密轴承有限公司"),
        row(source_record_id="S-2", uscc=uscc(7, "410305"), enterprise_name="别的名字"),
        row(source_record_id="S-3", uscc=uscc(8, "410199"), enterprise_name="郑州某公司"),  # unknown county: city
        row(source_record_id="S-4", uscc=uscc(9, "110105"), enterprise_name=""),  # outside Henan: province
    ]
    batch = run_import(csv_bytes(rows), **path)
    assert counts(batch) == (4, 0, 0, 0)
    skeletons = {e.uscc: e for e in Enterprise.objects.filter(is_skeleton=True).select_related("region")}
    assert len(skeletons) == 3
    first = skeletons[uscc(7, "410305")]
    assert (first.name, first.region.code, first.industry_id, first.size_class) == (
        "洛阳涧西精密轴承有限公司",
        "410305",
        None,
        "",
    )
    assert skeletons[uscc(8, "410199")].region.code == "410100"
    assert skeletons[uscc(9, "110105")].region.code == "410000"
    assert skeletons[uscc(9, "110105")].name == uscc(9, "110105")
    assert CreditRecord.objects.filter(enterprise=first).count() == 2


def test_the_stored_publish_until_is_the_effective_end(enterprise, path):
    decided = TODAY - datetime.timedelta(days=40)
    rows = [
        row(source_record_id="P-general", decision_date=decided.isoformat()),  # 1 year for general
        row(
            source_record_id="P-minor-long",
            decision_date=decided.isoformat(),
            severity="minor",
            publish_until=(decided.replace(year=decided.year + 2)).isoformat(),
        ),  # the source's end is later than 3 months: 3 months win
        row(
            source_record_id="P-source-end",
            decision_date=decided.isoformat(),
            severity="serious",
            publish_until=(decided + datetime.timedelta(days=100)).isoformat(),
        ),  # the source's earlier end wins
        row(source_record_id="H-1", category="honour", severity=""),  # positive, no end
    ]
    run_import(csv_bytes(rows), **path)
    ends = dict(CreditRecord.objects.values_list("source_record_id", "publish_until"))
    assert ends["P-general"] == add_months(decided, 12)
    assert ends["P-minor-long"] == add_months(decided, 3)
    assert ends["P-source-end"] == decided + datetime.timedelta(days=100)
    assert ends["H-1"] is None


def test_a_duplicate_id_later_in_the_file_is_an_error_even_across_chunks(enterprise, path):
    rows = [row(source_record_id=f"D-{i}") for i in range(4)]  # chunks of 3: D-0 D-1 D-2 | D-3 D-3 D-1
    rows.insert(4, row(source_record_id="D-3", detail="同一块里的重复"))
    rows.append(row(source_record_id="D-1", detail="后来的版本"))
    batch = run_import(csv_bytes(rows), chunk_rows=3, **path)
    assert counts(batch) == (4, 0, 0, 2)
    assert errors_of(batch) == [(6, "source_record_id"), (7, "source_record_id")]
    assert CreditRecord.objects.get(source_record_id="D-1").detail == "警告，罚款人民币五千元"


def test_progress_and_counts_are_kept_per_chunk(enterprise, path):
    rows = [row(source_record_id=f"C-{i}") for i in range(7)] + [row(source_record_id="", title="")]
    content = csv_bytes(rows)
    batch = run_import(content, chunk_rows=3, **path)
    assert (batch.rows_read, batch.bytes_read, batch.bytes_total) == (8, len(content), len(content))
    assert counts(batch) == (7, 0, 0, 1) and batch.started_at and batch.finished_at
    assert batch.row_errors.count() == 2  # two fields of one row


def test_reevaluation_is_enqueued_only_when_records_changed(
    enterprise, recompute, path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        batch = run_import(csv_bytes([row()]), **path)
    assert recompute.calls == [{"batch_id": batch.pk}]
    with django_capture_on_commit_callbacks(execute=True):
        run_import(csv_bytes([row()]), **path)
    assert recompute.calls == [{"batch_id": batch.pk}]


def test_a_finished_batch_is_not_run_again(enterprise):
    batch = run_import(csv_bytes([row()]))
    from creditinfo.services.imports import credit_records_import

    again = credit_records_import(batch_id=batch.pk)
    assert counts(again) == counts(batch) and CreditRecord.objects.count() == 1


# --- the command ---------------------------------------------------------------------------------------------


def test_command_prints_exactly_one_json_line(enterprise, tmp_path, capsys):
    path = tmp_path / "penalties.csv"
    path.write_bytes(csv_bytes([row(), row(source_record_id="CF-2", uscc="bad")], encoding="gb18030"))
    call_command("import_credit_records", str(path), "--source", "samr-penalty")
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert json.loads(out) == {"created": 1, "updated": 0, "unchanged": 0, "errors": 1}
    call_command("import_credit_records", str(path), "--source", "samr-penalty")
    assert json.loads(capsys.readouterr().out) == {"created": 0, "updated": 0, "unchanged": 1, "errors": 1}
    batch = ImportBatch.objects.first()
    assert batch.encoding == "gb18030" and batch.original_name == "penalties.csv" and batch.uploaded_by is None


def test_command_format_option_and_unknown_source(enterprise, tmp_path, capsys):
    path = tmp_path / "records.txt"
    path.write_bytes(jsonl_bytes([row()]))
    call_command("import_credit_records", str(path), "--source", "samr-penalty", "--format", "jsonl")
    assert json.loads(capsys.readouterr().out)["created"] == 1
    with pytest.raises(CommandError, match="samr-penalty"):
        call_command("import_credit_records", str(path), "--source", "no-such-source")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_credit_records", str(tmp_path / "missing.csv"), "--source", "samr-penalty")


def test_command_reports_a_failed_file(enterprise, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_bytes("名称,代码\n某公司,123\n".encode())
    with pytest.raises(CommandError, match="source_record_id"):
        call_command("import_credit_records", str(path), "--source", "samr-penalty")
    assert ImportBatch.objects.get().status == ImportBatch.Status.FAILED


def test_timestamps_are_aware(enterprise):
    batch = run_import(csv_bytes([row()]))
    assert timezone.is_aware(CreditRecord.objects.get().created_at) and batch.finished_at >= batch.started_at


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_writer_thread_writes_while_rows_are_read(on_postgres):
    """GIVEN no surrounding transaction (a worker, the command) WHEN importing on PostgreSQL THEN chunks are written
    by a writer thread on its own connection, with the same results (duplicates across chunks included)."""
    if not on_postgres:
        pytest.skip("the writer thread serves the COPY path")
    EnterpriseFactory(uscc=uscc(9_000_000), region=CountyFactory())
    rows = [row(source_record_id=f"T-{i}") for i in range(7)] + [row(source_record_id="T-2"), row(uscc="bad")]
    batch = run_import(csv_bytes(rows), chunk_rows=2)
    assert counts(batch) == (7, 0, 0, 2) and errors_of(batch) == [(9, "source_record_id"), (10, "uscc")]
    assert batch.rows_read == 9 and batch.status == ImportBatch.Status.DONE
    assert counts(run_import(csv_bytes(rows), chunk_rows=2)) == (0, 0, 7, 2)


@pytest.mark.django_db(transaction=True)
def test_a_writer_thread_failure_fails_the_batch(on_postgres, monkeypatch):
    if not on_postgres:
        pytest.skip("the writer thread serves the COPY path")
    from creditinfo.services import imports

    EnterpriseFactory(uscc=uscc(9_000_000), region=CountyFactory())

    def broken(self, *args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports.CopyLoader, "apply", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        run_import(csv_bytes([row(source_record_id=f"W-{i}") for i in range(5)]), chunk_rows=2)
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED and "disk full" in batch.failure
    assert CreditRecord.objects.count() == 0
