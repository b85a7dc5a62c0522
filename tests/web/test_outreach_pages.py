"""First-loan outreach pages: staff's candidate list (filters, exports, invite and push), officers' leads, and their
query counts (the same for 3 rows as for 30)."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from lending.models import EventParticipant, MatchmakingEvent, OutreachLead
from lending.views import outreach as outreach_views
from tests.factories import (
    BranchFactory,
    CityFactory,
    CountyFactory,
    DemandFactory,
    EnterpriseFactory,
    EvaluationFactory,
    LoanFactory,
    OfficerFactory,
    SmeUserFactory,
    StaffFactory,
    TagFactory,
)
from tests.web.utils import logged_in, messages_of
from xinyidai.models import Industry, Region

pytestmark = pytest.mark.django_db

LIST = reverse("lending:outreach_list")
LEADS = reverse("lending:outreach_leads")


def registered(**fields):
    """A claimed enterprise (with its SME user) and no loan: a first-loan candidate."""
    enterprise = EnterpriseFactory(**fields)
    SmeUserFactory(enterprise=enterprise)
    return enterprise


@pytest.fixture
def luoyang():
    city = CityFactory(code="410300", name="洛阳市")
    return CountyFactory(code="410302", name="老城区", parent=city)


@pytest.fixture
def software():
    section = Industry.objects.get_or_create(code="I", defaults={"name": "信息技术服务业", "level": "section"})[0]
    return Industry.objects.get_or_create(
        code="65", defaults={"name": "软件和信息技术服务业", "level": "division", "parent": section}
    )[0]


def rows_of(response) -> list[str]:
    return [e.name for e in response.context["page_obj"]]


# --- the candidate list ---------------------------------------------------------------------------------------


def test_only_staff_see_the_list(staff_client, officer_client, sme_client, client):
    assert staff_client.get(LIST).status_code == 200
    assert officer_client.get(LIST).status_code == 403
    assert sme_client.get(LIST).status_code == 403
    assert client.get(LIST).status_code == 302


def test_the_list_shows_candidates_of_the_staff_region_with_their_facts(staff_client, luoyang):
    zjtx = TagFactory()
    shown = registered(name="郑州无贷款科技有限公司")
    shown.tags.set([zjtx])
    EvaluationFactory(enterprise=shown, grade="B")
    DemandFactory(enterprise=shown, status="open")
    borrower = registered(name="郑州已贷款有限公司")
    LoanFactory(application__enterprise=borrower)
    EnterpriseFactory(name="郑州未认领有限公司", is_skeleton=True)
    registered(name="洛阳无贷款有限公司", region=luoyang)

    response = staff_client.get(LIST)

    assert rows_of(response) == [shown.name]
    html = response.content.decode()
    assert shown.uscc in html and "专精特新" in html and 'class="badge xyd-grade text-bg-primary"' in html
    assert "First-loan outreach: 郑州市" in html
    row = response.context["page_obj"].object_list[0]
    assert row.has_open_demand and not row.pushed


def test_filters_narrow_the_list(staff_client, software):
    jinshui = CountyFactory()
    zhongyuan = CountyFactory(code="410102", name="中原区")
    tag = TagFactory()
    a = registered(name="甲制造有限公司", size_class="small")
    a.tags.set([tag])
    EvaluationFactory(enterprise=a, grade="A")
    b = registered(name="乙软件有限公司", industry=software, size_class="micro", region=zhongyuan)
    EvaluationFactory(enterprise=b, grade="C")
    DemandFactory(enterprise=b, status="open")

    def names(query: str) -> set[str]:
        response = staff_client.get(f"{LIST}?{query}")
        assert response.status_code == 200, response.content
        return set(rows_of(response))

    assert names("") == {a.name, b.name}
    assert names(f"region={jinshui.code}") == {a.name}
    assert names("section=I") == {b.name}
    assert names("section=C&section=I") == {a.name, b.name}
    assert names("size=micro") == {b.name}
    assert names(f"tag={tag.code}") == {a.name}
    assert names("min_grade=B") == {a.name}
    assert names("open_demand=true") == {b.name}
    assert names("open_demand=false") == {a.name}
    assert names("order=oldest") == {a.name, b.name}


def test_a_region_outside_the_staff_region_is_404_and_junk_is_400(staff_client, luoyang):
    assert staff_client.get(f"{LIST}?region={luoyang.code}").status_code == 404
    assert staff_client.get(f"{LIST}?region=999999").status_code == 404
    assert staff_client.get(f"{LIST}?min_grade=Z").status_code == 400
    assert staff_client.get(f"{LIST}?size=huge").status_code == 400


# --- exports -------------------------------------------------------------------------------------------------


def test_csv_export_streams_the_filtered_list(staff_client):
    tag = TagFactory()
    a = registered(name="=HYPERLINK(1)有限公司")
    a.tags.set([tag])
    EvaluationFactory(enterprise=a, grade="A")
    registered(name="乙有限公司", size_class="micro")

    response = staff_client.get(reverse("lending:outreach_export", args=["csv"]) + "?size=small")

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="first-loan-candidates-410100-' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["Enterprise", "USCC", "City"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Enterprise"] == "'=HYPERLINK(1)有限公司"  # never a formula in a spreadsheet
    assert row["USCC"] == a.uscc and row["City"] == "郑州市" and row["County"] == "金水区"
    assert row["Industry section"] == "C" and row["Size class"] == "Small" and row["Tags"] == "专精特新"
    assert row["Grade (advisory)"] == "A" and row["Open demand"] == "No" and row["Pushed to banks"] == "No"


def test_xlsx_export_and_its_row_cap(staff_client, monkeypatch):
    for i in range(3):
        registered(name=f"表格企业{i}有限公司")
    url = reverse("lending:outreach_export", args=["xlsx"])

    sheet = load_workbook(io.BytesIO(staff_client.get(url).content)).active
    values = list(sheet.values)
    assert values[0][0] == "Enterprise" and len(values) == 4
    assert {row[0] for row in values[1:]} == {f"表格企业{i}有限公司" for i in range(3)}

    monkeypatch.setattr(outreach_views, "XLSX_MAX_ROWS", 2)
    values = list(load_workbook(io.BytesIO(staff_client.get(url).content)).active.values)
    assert len(values) == 4 and values[-1][0].startswith("Only the first 2 rows")


def test_exports_are_for_staff_only(officer_client):
    assert officer_client.get(reverse("lending:outreach_export", args=["csv"])).status_code == 403


# --- actions -------------------------------------------------------------------------------------------------


def test_push_the_ticked_ones_then_all_matching(staff, staff_client, officer):
    a, b, c = (registered(name=f"推送企业{i}有限公司", size_class="micro" if i else "small") for i in range(3))
    push = reverse("lending:outreach_push")

    # The ticked ones are pushed; the redirect keeps the page's filter.
    response = staff_client.post(f"{push}?size=micro", {"enterprise": [str(b.pk), "junk"]})
    assert response.status_code == 302 and response["Location"] == f"{LIST}?size=micro"
    assert set(OutreachLead.objects.values_list("enterprise_id", flat=True)) == {b.pk}

    response = staff_client.post(push, {"all_matching": "1"}, follow=True)
    assert set(OutreachLead.objects.values_list("enterprise_id", flat=True)) == {a.pk, b.pk, c.pk}
    assert any("2 enterprises were pushed" in m for m in messages_of(response))
    assert officer.notifications.filter(kind="outreach_leads_pushed").count() == 2

    response = staff_client.post(push, {}, follow=True)
    assert any("Tick the enterprises" in m for m in messages_of(response))


def test_invite_to_an_upcoming_event(staff, staff_client, luoyang):
    a, b = registered(name="邀请企业甲有限公司"), registered(name="邀请企业乙有限公司")
    starts = timezone.now() + datetime.timedelta(days=10)
    event = MatchmakingEvent.objects.create(
        title="郑州金融会客厅", kind="salon", starts_at=starts, ends_at=starts + datetime.timedelta(hours=3),
        region=staff.region, organizer=staff,
    )  # fmt: skip
    elsewhere = MatchmakingEvent.objects.create(
        title="洛阳对接会", kind="roadshow", starts_at=starts, ends_at=starts + datetime.timedelta(hours=3),
        region=luoyang.parent, organizer=StaffFactory(region=luoyang.parent),
    )  # fmt: skip
    invite = reverse("lending:outreach_invite")

    page = staff_client.get(LIST).content.decode()
    assert "郑州金融会客厅" in page and "洛阳对接会" not in page

    response = staff_client.post(invite, {"event": event.pk, "enterprise": [a.pk]}, follow=True)
    assert any("1 enterprises were newly invited" in m for m in messages_of(response))
    assert set(EventParticipant.objects.values_list("enterprise_id", flat=True)) == {a.pk}

    staff_client.post(invite, {"event": event.pk, "all_matching": "1"})
    assert set(EventParticipant.objects.filter(event=event).values_list("enterprise_id", flat=True)) == {a.pk, b.pk}
    # Not yet invited to the event: the filter leaves out who already is.
    assert rows_of(staff_client.get(f"{LIST}?not_invited={event.pk}")) == []

    # Another region's event is not offered: refused, nothing invited.
    response = staff_client.post(invite, {"event": elsewhere.pk, "all_matching": "1"}, follow=True)
    assert any("Choose an upcoming event" in m for m in messages_of(response))
    assert not EventParticipant.objects.filter(event=elsewhere).exists()


# --- officers' leads -----------------------------------------------------------------------------------------


def test_officer_sees_the_leads_of_the_region_it_serves_and_marks_contacted(officer, officer_client, luoyang):
    here = registered(name="本地线索有限公司")
    EvaluationFactory(enterprise=here, grade="B")
    there = registered(name="洛阳线索有限公司", region=luoyang)
    staff_client = logged_in(StaffFactory(region=Region.objects.get(code="410000")))
    staff_client.post(reverse("lending:outreach_push"), {"all_matching": "1"})
    lead_here, lead_there = OutreachLead.objects.get(enterprise=here), OutreachLead.objects.get(enterprise=there)

    response = officer_client.get(LEADS)
    assert [lead.pk for lead in response.context["page_obj"]] == [lead_here.pk]
    html = response.content.decode()
    assert here.name in html and there.name not in html and "xyd-grade" in html

    url = reverse("lending:outreach_lead_contacted", args=[lead_there.pk])
    assert officer_client.post(url, {"note": "x"}).status_code == 404
    response = officer_client.post(
        reverse("lending:outreach_lead_contacted", args=[lead_here.pk]), {"note": "已上门拜访"}, follow=True
    )
    assert any("recorded" in m for m in messages_of(response))
    lead_here.refresh_from_db()
    assert (lead_here.status, lead_here.contacted_by, lead_here.note) == (
        "contacted",
        officer.institution,
        "已上门拜访",
    )
    assert rows_of_leads(officer_client.get(f"{LEADS}?status=contacted")) == [lead_here.pk]
    assert rows_of_leads(officer_client.get(LEADS)) == []
    assert staff_client.get(LEADS).status_code == 403


def rows_of_leads(response) -> list[int]:
    return [lead.pk for lead in response.context["page_obj"]]


# --- query counts --------------------------------------------------------------------------------------------


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    assert len(response.context["page_obj"]) > 0, f"{url} rendered no rows"
    return len(ctx.captured_queries)


def assert_constant(client, url: str, add_rows) -> None:
    add_rows(3)
    client.get(url)
    with_3 = count_queries(client, url)
    add_rows(27)
    with_30 = count_queries(client, url)
    assert with_3 == with_30, f"{url}: {with_3} queries for 3 rows but {with_30} for 30 (a query per row?)"


def varied_candidates(n: int) -> list:
    made = []
    for i in range(n):
        enterprise = registered()
        if i % 2:
            enterprise.tags.set([TagFactory()])
            EvaluationFactory(enterprise=enterprise, grade="ABCD"[i % 4])
        if i % 3 == 0:
            DemandFactory(enterprise=enterprise, status="open")
        made.append(enterprise)
    return made


def test_candidate_list_query_count(staff_client):
    assert_constant(staff_client, f"{LIST}?min_grade=D", varied_candidates)
    assert_constant(staff_client, LIST, varied_candidates)


def test_leads_query_count(officer_client, officer):
    pusher = StaffFactory()

    def add(n):
        made = varied_candidates(n)
        from lending.services.outreach import outreach_push

        outreach_push(user=pusher, enterprise_ids=[e.pk for e in made])

    assert_constant(officer_client, LEADS, add)


def test_contacted_leads_query_count(officer_client, officer):
    pusher = StaffFactory()
    other_branch = BranchFactory(parent=officer.institution)
    colleague = OfficerFactory(institution=other_branch)

    def add(n):
        from lending.services.outreach import outreach_lead_contacted, outreach_push

        made = varied_candidates(n)
        outreach_push(user=pusher, enterprise_ids=[e.pk for e in made])
        for i, lead in enumerate(OutreachLead.objects.filter(enterprise__in=made)):
            outreach_lead_contacted(lead_id=lead.pk, officer=colleague if i % 2 else officer, note="已联系")

    assert_constant(officer_client, f"{LEADS}?status=contacted", add)
