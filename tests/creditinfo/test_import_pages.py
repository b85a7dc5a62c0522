"""The admins' import pages: upload (and its refusals), batch list, batch page with its htmx progress part, the
errors CSV, access for other roles, and constant query counts."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from creditinfo import tasks
from creditinfo.models import CreditRecord, ImportBatch
from tests.creditinfo.import_utils import csv_bytes, data_source, row, run_import
from tests.factories import AdminFactory, CountyFactory, EnterpriseFactory, OfficerFactory, SmeUserFactory, StaffFactory
from tests.web.utils import english_client, logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def no_recompute(monkeypatch):
    class Fake:
        def delay(self, **kwargs):
            pass

    monkeypatch.setattr(tasks, "evaluations_recompute", Fake(), raising=False)


@pytest.fixture
def admin_client(db):
    CountyFactory()
    return logged_in(AdminFactory())


def upload(client, content: bytes, *, name="feed.csv", source="credit-henan"):
    source_id = data_source(source).pk
    return client.post(
        reverse("creditinfo:import_upload"), {"source": source_id, "file": SimpleUploadedFile(name, content)}
    )


def test_admin_uploads_a_file_and_lands_on_its_batch(admin_client, django_capture_on_commit_callbacks):
    assert admin_client.get(reverse("creditinfo:import_upload")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = upload(admin_client, csv_bytes([row(), row(source_record_id="X", uscc="bad")], encoding="gb18030"))
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("creditinfo:import_detail", args=[batch.pk])
    assert len(callbacks) >= 1  # the task was enqueued on commit (and ran inline here)
    batch.refresh_from_db()
    assert (batch.status, batch.encoding, batch.created_count, batch.error_count) == ("done", "gb18030", 1, 1)
    assert batch.uploaded_by is not None and batch.original_name == "feed.csv"
    page = admin_client.get(response["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert "uscc" in body and 'hx-trigger="every 1s"' not in body  # done: no more polling
    assert reverse("creditinfo:import_errors_csv", args=[batch.pk]) in body


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"", "empty.csv"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00binary", "records.csv"),  # a zip (.xlsx) renamed
        ("名称,代码\n某公司,91410105MA0MX3BP68\n".encode(), "records.csv"),  # not our header
        ("河南".encode("utf-16"), "records.csv"),
    ],
)
def test_a_wrong_file_is_a_400_and_creates_nothing(admin_client, content, name):
    response = upload(admin_client, content, name=name)
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    assert ImportBatch.objects.count() == 0 and CreditRecord.objects.count() == 0


def test_a_file_over_the_size_limit_is_a_400(admin_client, settings):
    settings.CREDIT_IMPORT_MAX_UPLOAD_BYTES = 100
    response = upload(admin_client, csv_bytes([row()]))
    assert response.status_code == 400 and "limit" in str(response.context["form"].errors["file"])
    assert ImportBatch.objects.count() == 0


@pytest.mark.parametrize("factory", [SmeUserFactory, OfficerFactory, StaffFactory])
def test_other_roles_are_refused(factory):
    CountyFactory()
    batch = run_import(csv_bytes([row()]))
    client = logged_in(factory())
    for url in (
        reverse("creditinfo:import_list"),
        reverse("creditinfo:import_upload"),
        reverse("creditinfo:import_detail", args=[batch.pk]),
        reverse("creditinfo:import_errors_csv", args=[batch.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert upload(client, csv_bytes([row(source_record_id="Y")])).status_code == 403
    assert ImportBatch.objects.count() == 1


def test_anonymous_users_go_to_the_login_page():
    response = english_client().get(reverse("creditinfo:import_list"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_progress_part_polls_while_running_and_stops_when_done(admin_client):
    EnterpriseFactory()
    batch = run_import(csv_bytes([row()]))
    ImportBatch.objects.filter(pk=batch.pk).update(status="running", bytes_read=batch.bytes_total // 2)
    url = reverse("creditinfo:import_detail", args=[batch.pk])
    running = admin_client.get(url, HTTP_HX_REQUEST="true")
    assert running.status_code == 200
    body = running.content.decode()
    assert 'id="import-progress"' in body and 'hx-trigger="every 1s"' in body and "<html" not in body
    assert 'aria-valuenow="50"' in body or 'aria-valuenow="49"' in body
    ImportBatch.objects.filter(pk=batch.pk).update(status="done", bytes_read=batch.bytes_total)
    done = admin_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done and 'aria-valuenow="100"' in done


def test_errors_are_paginated_and_downloadable_as_csv_with_a_bom(admin_client):
    rows = [row(source_record_id=f"E-{i}", uscc="91410105MA0MX3BP6X") for i in range(60)]
    batch = run_import(csv_bytes(rows))
    assert batch.error_count == 60
    url = reverse("creditinfo:import_detail", args=[batch.pk])
    first = admin_client.get(url)
    assert len(first.context["page_obj"]) == 50 and first.context["page_obj"].paginator.count == 60
    assert len(admin_client.get(url + "?page=2").context["page_obj"]) == 10
    response = admin_client.get(reverse("creditinfo:import_errors_csv", args=[batch.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(lines) == 61 and lines[1][:2] == ["2", "uscc"] and lines[-1][0] == "61"


def test_the_batch_list_shows_every_batch(admin_client):
    batch = run_import(csv_bytes([row()]))
    response = admin_client.get(reverse("creditinfo:import_list"))
    assert response.status_code == 200 and list(response.context["page_obj"]) == [batch]
    assert reverse("creditinfo:import_detail", args=[batch.pk]) in response.content.decode()


def test_admins_see_one_nav_entry(admin_client):
    body = admin_client.get(reverse("creditinfo:import_list")).content.decode()
    assert body.count(f'href="{reverse("creditinfo:import_list")}"') == 1


def _queries(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_rows(admin_client):
    """If this fails, a template started querying per batch or per error row: pre-join it in the view."""
    admin = AdminFactory()
    list_url = reverse("creditinfo:import_list")
    for i in range(3):
        run_import(csv_bytes([row(source_record_id=f"L{i}")]))
    ImportBatch.objects.update(uploaded_by=admin)
    with_3 = _queries(admin_client, list_url)
    for i in range(27):
        run_import(csv_bytes([row(source_record_id=f"M{i}")]))
    ImportBatch.objects.update(uploaded_by=admin)
    assert _queries(admin_client, list_url) == with_3

    few = run_import(csv_bytes([row(source_record_id=f"F{i}", uscc="x") for i in range(3)]))
    many = run_import(csv_bytes([row(source_record_id=f"G{i}", uscc="x") for i in range(30)]))
    detail = [_queries(admin_client, reverse("creditinfo:import_detail", args=[b.pk])) for b in (few, many)]
    assert detail[0] == detail[1]
