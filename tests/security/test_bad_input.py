"""Bad input at every form and endpoint that writes: a clear 400 in the user's language, and nothing changes.

Each endpoint below has a payload its user may send; one field at a time is replaced by a kind of bad input
(markup, a `javascript:` URL, bytes that are not UTF-8, negative or huge or non-numeric money, NaN, a number
beyond any bound, an unknown enum value, a value of the wrong type), and for the API the whole body too
(malformed JSON, not UTF-8, a NaN literal, a list instead of an object, a body over the size limit). Every
answer must be 400, name the bad field (the form's errors, or the API error's `detail`), and leave the database
as it was. Pages answer 400 with the form re-rendered; the API answers its one error shape.

The world is the security suites' victim party (tests/security/conftest.py): each request is made by that
party's own user, on its own objects, so nothing but the bad input stands in the way.
"""

import json
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import BaseForm
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import escape
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from creditinfo.models import (
    Authorization,
    CreditRecord,
    DataSource,
    Enterprise,
    ImportBatch,
    Objection,
    RepairRequest,
)
from lending.models import (
    Application,
    ApplicationEvent,
    BalanceSnapshot,
    CreditDecision,
    FinancingDemand,
    Intent,
    Loan,
    LoanEvent,
    MatchmakingEvent,
    Product,
    Repayment,
)
from lending.models.feedback import FeedbackBatch
from lending.models.targets import Target
from xinyidai.api.errors import exception_handler
from xinyidai.models import Notification, User
from xinyidai.validators import NoMarkupValidator

pytestmark = pytest.mark.django_db

with translation.override("en"):  # the requests below ask for English; the module may be imported under Chinese
    MARKUP_EN = str(NoMarkupValidator.markup_message)
    ENCODING_EN = str(NoMarkupValidator.encoding_message)

WATCHED = [
    User, Enterprise, Authorization, CreditRecord, Objection, RepairRequest, ImportBatch, Product, FinancingDemand,
    Application, ApplicationEvent, CreditDecision, Loan, Repayment, BalanceSnapshot, LoanEvent, FeedbackBatch,
    MatchmakingEvent, Intent, Target, Notification,
]  # fmt: skip


def fingerprint(world) -> tuple:
    """Row counts of everything a write could add, and the fields an edit could change."""
    return (
        tuple(model.objects.count() for model in WATCHED),
        Product.objects.filter(pk=world.product.pk).values_list("name", "description", "amount_min", "status").get(),
        Enterprise.objects.filter(pk=world.enterprise.pk).values_list("name", "employees", "revenue", "address").get(),
        Application.objects.filter(pk=world.application.pk).values_list("status", "updated_at").get(),
        Loan.objects.filter(pk=world.loan.pk).values_list("outstanding_balance", "status").get(),
    )


# --- the bad values -------------------------------------------------------------------------------------------

NON_UTF8 = object()  # stands for bytes that are not UTF-8 (pages: percent-encoded in the form body)
PAGE_VALUES = {
    # kind: (field role, value)
    "markup": ("text", "<script>alert(1)</script>"),
    "markup_img": ("text", 'Fine <img src=x onerror="alert(1)">'),
    "javascript_url": ("text", "javascript:alert(document.cookie)"),
    "non_utf8": ("text", NON_UTF8),
    "negative_money": ("money", "-100"),
    "huge_money": ("money", "1e30"),
    "not_a_number": ("money", "abc"),
    "nan": ("money", "NaN"),
    "infinity": ("money", "Infinity"),
    "huge_int": ("int", "99999999999999999999"),
    "unknown_enum": ("enum", "bogus"),
}
API_VALUES = {
    "markup": ("text", "<script>alert(1)</script>"),
    "javascript_url": ("text", "JavaScript:alert(1)"),
    "text_wrong_type": ("text", {"nested": "object"}),
    "negative_money": ("money", "-100.00"),
    "huge_money": ("money", 1e30),
    "money_wrong_type": ("money", "abc"),
    "nan": ("money", "NaN"),
    "infinity": ("money", "Infinity"),
    "too_many_decimals": ("money", "100.001"),
    "huge_int": ("int", 10**30),
    "int_wrong_type": ("int", "twelve"),
    "unknown_enum": ("enum", "bogus"),
}


# --- pages ----------------------------------------------------------------------------------------------------


def _today() -> str:
    return timezone.localdate().isoformat()


# name -> (user attribute of the world or None for anonymous, url(world), data(world), {role: field}).
PAGES = {
    "signup": (
        None,
        lambda w: "/accounts/signup/",
        lambda w: {"username": "newcomer1", "full_name": "王五", "phone": "13800138000",
                   "password1": "Xinyidai#2026!", "password2": "Xinyidai#2026!"},
        {"text": "full_name"},
    ),
    "demand_create": (
        "sme",
        lambda w: "/demands/new/",
        lambda w: {"amount": "100", "term_months": "12", "purpose": "采购原材料", "guarantee_modes": ["04"]},
        {"text": "purpose", "money": "amount", "int": "term_months", "enum": "guarantee_modes"},
    ),
    "product_apply": (
        "sme",
        lambda w: f"/products/{w.product.pk}/apply/",
        lambda w: {"amount": "50", "term_months": "12", "purpose": "补充流动资金", "consent": "on"},
        {"text": "purpose", "money": "amount", "int": "term_months"},
    ),
    "product_create": (
        "officer",
        lambda w: "/institution/products/new/",
        lambda w: {"institution": w.branch.pk, "name": "新产品", "product_type": "working_capital",
                   "guarantee_mode": "04", "description": "说明", "amount_min": "10", "amount_max": "500",
                   "term_min_months": "3", "term_max_months": "36", "rate_min": "3.5", "rate_max": "6",
                   "status": "listed"},
        {"text": "description", "money": "amount_max", "int": "term_max_months", "enum": "product_type"},
    ),
    "product_edit": (
        "officer",
        lambda w: f"/institution/products/{w.product.pk}/edit/",
        lambda w: {"name": "改名产品", "product_type": "working_capital", "guarantee_mode": "04",
                   "description": "说明", "amount_min": "10", "amount_max": "500", "term_min_months": "3",
                   "term_max_months": "36", "rate_min": "3.5", "rate_max": "6"},
        {"text": "name", "money": "amount_min", "int": "term_min_months", "enum": "guarantee_mode"},
    ),
    "authorization_grant": (
        "sme",
        lambda w: "/authorizations/grant/",
        lambda w: {"institution": w.branch.pk, "purpose": "loan_review", "days": "90", "consent": "on"},
        {"int": "days", "enum": "purpose"},
    ),
    "application_approve": (
        "officer",
        lambda w: f"/applications/{w.application.pk}/approve/",
        lambda w: {"approve-amount": "50", "approve-annual_rate": "4.35", "approve-term_months": "12",
                   "approve-guarantee_mode": "04", "approve-note": "同意"},
        {"text": "approve-note", "money": "approve-amount", "int": "approve-term_months",
         "enum": "approve-guarantee_mode"},
    ),
    "application_reject": (
        "officer",
        lambda w: f"/applications/{w.application.pk}/reject/",
        lambda w: {"reject-reason_code": "policy", "reject-note": "不符合政策"},
        {"text": "reject-note", "enum": "reject-reason_code"},
    ),
    "application_disburse": (
        "officer",
        lambda w: f"/applications/{w.application.pk}/disburse/",
        lambda w: {"disburse-contract_number": "HT-2026-0001", "disburse-principal": "50",
                   "disburse-disbursed_on": _today()},
        {"text": "disburse-contract_number", "money": "disburse-principal"},
    ),
    "objection_resolve": (
        "staff",
        lambda w: f"/objections/{w.objection.pk}/resolve/",
        lambda w: {"outcome": "unresolved", "response": "维持原记录", "title": "", "detail": "", "severity": ""},
        {"text": "response", "enum": "outcome"},
    ),
    "repair_decide": (
        "staff",
        lambda w: f"/repairs/{w.repair.pk}/decide/",
        lambda w: {"decision": "reject", "note": "材料不全"},
        {"text": "note", "enum": "decision"},
    ),
    "event_edit": (
        "staff",
        lambda w: f"/events/{w.event.pk}/edit/",
        lambda w: {"title": "洛阳对接会", "kind": "salon", "starts_at": "2026-12-10T09:00",
                   "ends_at": "2026-12-10T12:00", "region": w.staff.region_id, "place": "", "theme": "",
                   "description": "", "capacity": ""},
        {"text": "description", "int": "capacity", "enum": "kind"},
    ),
    "record_dispute": (
        "sme",
        lambda w: f"/enterprise/records/{w.record.pk}/dispute/",
        lambda w: {"reason": "该处罚已撤销"},
        {"text": "reason"},
    ),
    "record_repair": (
        "sme",
        lambda w: f"/enterprise/records/{w.record.pk}/repair/",
        lambda w: {"obligation_fulfilled_on": _today(), "statement": "已缴清罚款"},
        {"text": "statement"},
    ),
    "repayment": (
        "officer",
        lambda w: f"/loans/{w.loan.pk}/feedback/repayment/",
        lambda w: {"repayment-paid_on": _today(), "repayment-principal_amount": "1000.00",
                   "repayment-interest": "10.00", "repayment-reference": "R-1"},
        {"text": "repayment-reference", "money": "repayment-principal_amount"},
    ),
    "balance": (
        "officer",
        lambda w: f"/loans/{w.loan.pk}/feedback/balance/",
        lambda w: {"balance-month": timezone.localdate().strftime("%Y-%m"), "balance-balance": "1000.00"},
        {"money": "balance-balance"},
    ),
    "event_create": (
        "staff",
        lambda w: "/events/new/",
        lambda w: {"title": "政银企对接会", "kind": "roadshow", "starts_at": "2026-12-10T09:00",
                   "ends_at": "2026-12-10T12:00", "region": w.staff.region_id, "place": "洛阳", "theme": "",
                   "description": "", "capacity": "50"},
        {"text": "title", "int": "capacity", "enum": "kind"},
    ),
    "intent_add": (
        "staff",
        lambda w: f"/events/{w.event.pk}/intents/new/",
        lambda w: {"enterprise_uscc": w.enterprise.uscc, "institution": w.branch.pk, "amount": "100", "note": "意向"},
        {"text": "note", "money": "amount"},
    ),
    "target_add": (
        "staff",
        lambda w: "/targets/new/",
        lambda w: {"metric": "balance", "value": "100000000", "deadline": "2027-12-31",
                   "region": w.staff.region_id, "note": ""},
        {"text": "note", "money": "value", "enum": "metric"},
    ),
    "enterprise_edit": (
        "sme",
        lambda w: "/enterprise/edit/",
        lambda w: {"name": w.enterprise.name, "legal_representative": "张三", "region": w.enterprise.region_id,
                   "industry": w.enterprise.industry_id, "employees": "50", "revenue": "2000", "assets": "1500",
                   "address": "洛阳市涧西区", "contact_phone": "0379-1234567"},
        {"text": "address", "money": "revenue", "int": "employees"},
    ),
}  # fmt: skip

# The application page offers each decision form only in the status the decision starts from.
STATUS_FIRST = {"application_approve": "accepted", "application_reject": "accepted", "application_disburse": "approved"}

PAGE_CASES = [
    pytest.param(page, kind, id=f"{page}-{kind}")
    for page, (_user, _url, _data, roles) in PAGES.items()
    for kind, (role, _value) in PAGE_VALUES.items()
    if role in roles
]


def _client(world, user_attr: str | None, *, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user_attr is not None:
        client.force_login(getattr(world, user_attr))
    return client


def _form_errors(response) -> dict:
    """Field errors of every bound form the page was rendered with (also inside dicts of forms)."""
    errors = {}
    for context in response.context or []:
        for value in context.flatten().values():
            candidates = value.values() if isinstance(value, dict) else value if isinstance(value, tuple) else [value]
            for form in candidates:
                if isinstance(form, BaseForm) and form.is_bound:
                    errors.update({form.add_prefix(name): messages for name, messages in form.errors.items()})
    return errors


def _post_page(client: Client, url: str, data: dict, field: str, value):
    if value is NON_UTF8:
        body = urlencode({**data, field: "MARK"}, doseq=True).replace("MARK", "%FF%FE%FA")
        return client.post(url, body, content_type="application/x-www-form-urlencoded")
    return client.post(url, {**data, field: value})


@pytest.mark.parametrize(("page", "kind"), PAGE_CASES)
def test_page_refuses_bad_input_with_400_and_changes_nothing(victim_world, page, kind):
    world, _attackers = victim_world
    user_attr, url, data, roles = PAGES[page]
    role, value = PAGE_VALUES[kind]
    field = roles[role]
    if page in STATUS_FIRST:
        Application.objects.filter(pk=world.application.pk).update(status=STATUS_FIRST[page])
    before = fingerprint(world)

    response = _post_page(_client(world, user_attr), url(world), data(world), field, value)

    assert response.status_code == 400, (page, kind, response.status_code)
    errors = _form_errors(response)
    assert field in errors, f"{page}: the error is not on {field}: {errors}"
    if role == "text":
        assert (ENCODING_EN if value is NON_UTF8 else MARKUP_EN) in errors[field]
    assert fingerprint(world) == before


@pytest.mark.parametrize("page", [name for name, spec in PAGES.items() if "text" in spec[3]])
def test_page_with_valid_text_is_not_refused_for_it(victim_world, page):
    """The control: the same payloads with plain text (and "a < b" comparisons) raise no error on the text (the
    step itself may still be refused for other reasons, e.g. a record that already has an open objection)."""
    world, _attackers = victim_world
    user_attr, url, data, roles = PAGES[page]
    response = _post_page(
        _client(world, user_attr), url(world), data(world), roles["text"], "额度 < 500 万元 & 期限 > 1 年"
    )
    assert response.status_code < 500
    assert roles["text"] not in _form_errors(response)


def test_markup_message_is_in_the_users_language(victim_world):
    """Chinese by default (zh-hans), English when the browser asks for it; the page says so in <html lang>."""
    world, _attackers = victim_world
    url = "/demands/new/"
    data = {"amount": "100", "term_months": "12", "purpose": "<b>急用</b>", "guarantee_modes": ["04"]}

    chinese = _client(world, "sme", language="zh-hans").post(url, data)
    english = _client(world, "sme", language="en").post(url, data)

    assert chinese.status_code == english.status_code == 400
    with translation.override("zh-hans"):
        expected_zh = str(NoMarkupValidator.markup_message)
    assert expected_zh != MARKUP_EN  # the catalogue translates it
    # The pages as sent (the errors in the context are lazy: read them in each response's language).
    page = chinese.content.decode()
    assert escape(expected_zh) in page and escape(MARKUP_EN) not in page
    assert '<html lang="zh-hans"' in chinese.content.decode()
    with translation.override("en"):
        assert _form_errors(english)["purpose"] == [MARKUP_EN]
    # Django's own messages are translated already: a non-number in Chinese.
    wrong = _client(world, "sme", language="zh-hans").post(url, {**data, "purpose": "急用", "amount": "abc"})
    assert wrong.status_code == 400
    assert _form_errors(wrong)["amount"] == ["输入一个数字。"]


# --- uploads --------------------------------------------------------------------------------------------------

FEEDBACK_HEADER = "contract_number,kind,date,amount,reference\n"


@pytest.mark.parametrize(
    ("kind", "content"),
    [
        ("undecodable", b"\x81\xff\xfe\x00\x9c" * 40),
        ("binary", b"%PDF-1.7\n\x00\x01\x02\x03" * 20),
        ("empty", b""),
    ],
)
def test_feedback_csv_upload_refuses_unreadable_files(victim_world, kind, content):
    world, _attackers = victim_world
    before = fingerprint(world)
    upload = SimpleUploadedFile("feedback.csv", content, content_type="text/csv")
    response = _client(world, "officer").post("/loans/feedback/", {"file": upload})
    assert response.status_code == 400
    assert "file" in _form_errors(response)
    assert fingerprint(world) == before


def test_feedback_csv_upload_over_the_limit_is_refused_with_the_limit(victim_world, settings):
    world, _attackers = victim_world
    settings.FEEDBACK_MAX_UPLOAD_BYTES = 100
    before = fingerprint(world)
    upload = SimpleUploadedFile("feedback.csv", (FEEDBACK_HEADER + "HT-1,repayment,2026-11-01,1.00,R\n" * 10).encode())
    response = _client(world, "officer").post("/loans/feedback/", {"file": upload})
    assert response.status_code == 400
    assert any("the limit is 100" in message for message in _form_errors(response)["file"])
    assert fingerprint(world) == before


@pytest.mark.parametrize(
    ("kind", "content", "limit"),
    [
        ("undecodable", b"record_id,uscc\n\x81\xff\xfe\x9c\xff\n" * 20, None),
        ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, None),
        ("oversize", b"record_id,uscc\n" + b"1,91410100MA00000000\n" * 20, 100),
    ],
)
def test_credit_import_upload_refuses_bad_files(victim_world, settings, kind, content, limit):
    world, _attackers = victim_world
    if limit is not None:
        settings.CREDIT_IMPORT_MAX_UPLOAD_BYTES = limit
    before = fingerprint(world)
    source = DataSource.objects.filter(is_active=True).order_by("code").first()
    upload = SimpleUploadedFile("records.csv", content, content_type="text/csv")
    response = _client(world, "admin").post("/imports/upload/", {"source": source.pk, "file": upload})
    assert response.status_code == 400
    assert "file" in _form_errors(response)
    assert fingerprint(world) == before


def test_form_body_over_the_request_limit_answers_the_400_page_in_the_users_language(victim_world, settings):
    world, _attackers = victim_world
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    before = fingerprint(world)
    data = {"amount": "100", "term_months": "12", "purpose": "采购" * 2000, "guarantee_modes": ["04"]}
    response = _client(world, "sme", language="en").post("/demands/new/", data)
    assert response.status_code == 400
    assert b"Bad request" in response.content
    with translation.override("zh-hans"):
        from django.utils.translation import gettext

        title_zh = gettext("Bad request")
    chinese = _client(world, "sme", language="zh-hans").post("/demands/new/", data)
    assert chinese.status_code == 400
    assert title_zh in chinese.content.decode()
    assert '<html lang="zh-hans"' in chinese.content.decode()
    assert fingerprint(world) == before


# --- the API --------------------------------------------------------------------------------------------------

# name -> (user attribute, method, url(world), payload(world), {role: field}); payloads in yuan.
ENDPOINTS = {
    "demand_publish": (
        "sme", "post", lambda w: "/api/v1/demands/",
        lambda w: {"amount": "1000000.00", "term_months": 12, "purpose": "采购原材料", "guarantee_modes": ["04"]},
        {"text": "purpose", "money": "amount", "int": "term_months", "enum": "guarantee_modes"},
    ),
    "application_submit": (
        "sme", "post", lambda w: "/api/v1/applications/",
        lambda w: {"product": w.product.pk, "amount": "500000.00", "term_months": 12, "purpose": "补充流动资金",
                   "consent": True},
        {"text": "purpose", "money": "amount", "int": "product"},
    ),
    "product_create": (
        "officer", "post", lambda w: "/api/v1/products/",
        lambda w: {"institution": w.branch.code, "name": "新产品", "product_type": "working_capital",
                   "guarantee_mode": "04", "amount_min": "100000.00", "amount_max": "5000000.00",
                   "term_min_months": 3, "term_max_months": 36, "rate_min": "3.500", "rate_max": "6.000"},
        {"text": "name", "money": "amount_min", "int": "term_max_months", "enum": "product_type"},
    ),
    "product_update": (
        "officer", "patch", lambda w: f"/api/v1/products/{w.product.pk}/",
        lambda w: {"name": "改名产品", "description": "说明"},
        {"text": "description", "money": "amount_max", "int": "term_min_months", "enum": "guarantee_mode"},
    ),
    "application_approve": (
        "officer", "post", lambda w: f"/api/v1/applications/{w.application.pk}/approve/",
        lambda w: {"amount": "500000.00", "annual_rate": "4.350", "term_months": 12, "guarantee_mode": "04",
                   "note": "同意"},
        {"text": "note", "money": "amount", "int": "term_months", "enum": "guarantee_mode"},
    ),
    "application_reject": (
        "officer", "post", lambda w: f"/api/v1/applications/{w.application.pk}/reject/",
        lambda w: {"reason_code": "policy", "note": "不符合政策"},
        {"text": "note", "enum": "reason_code"},
    ),
    "repayment": (
        "officer", "post", lambda w: f"/api/v1/loans/{w.loan.pk}/repayments/",
        lambda w: {"paid_on": _today(), "principal_amount": "1000.00", "interest": "10.00", "reference": "R-1"},
        {"text": "reference", "money": "principal_amount"},
    ),
    "balance": (
        "officer", "post", lambda w: f"/api/v1/loans/{w.loan.pk}/balances/",
        lambda w: {"month": _today(), "balance": "1000.00"},
        {"money": "balance"},
    ),
    "authorization_grant": (
        "sme", "post", lambda w: "/api/v1/authorizations/",
        lambda w: {"institution": w.branch.pk, "purpose": "loan_review", "days": 90},
        {"int": "days", "enum": "purpose"},
    ),
    "objection_raise": (
        "sme", "post", lambda w: "/api/v1/objections/",
        lambda w: {"record": w.record.pk, "reason": "该处罚已撤销"},
        {"text": "reason", "int": "record"},
    ),
    "repair_request": (
        "sme", "post", lambda w: "/api/v1/repair-requests/",
        lambda w: {"record": w.record.pk, "obligation_fulfilled_on": _today(), "statement": "已缴清罚款"},
        {"text": "statement", "int": "record"},
    ),
    "event_create": (
        "staff", "post", lambda w: "/api/v1/events/",
        lambda w: {"title": "政银企对接会", "kind": "roadshow", "starts_at": "2026-12-10T09:00:00+08:00",
                   "ends_at": "2026-12-10T12:00:00+08:00", "region": w.staff.region.code, "capacity": 50},
        {"text": "title", "int": "capacity", "enum": "kind"},
    ),
    "intent_record": (
        "staff", "post", lambda w: "/api/v1/intents/",
        lambda w: {"event": w.event.pk, "enterprise": w.enterprise.pk, "institution": w.branch.pk,
                   "amount": "1000000.00", "note": "意向"},
        {"text": "note", "money": "amount", "int": "enterprise"},
    ),
    "enterprise_update": (
        "sme", "patch", lambda w: "/api/v1/enterprise/",
        lambda w: {"address": "洛阳市涧西区"},
        {"text": "address", "money": "revenue", "int": "employees"},
    ),
}  # fmt: skip

API_CASES = [
    pytest.param(endpoint, kind, id=f"{endpoint}-{kind}")
    for endpoint, (_user, _method, _url, _payload, roles) in ENDPOINTS.items()
    for kind, (role, _value) in API_VALUES.items()
    if role in roles
]


def _api(world, user_attr: str, *, language: str = "en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    token, _created = Token.objects.get_or_create(user=getattr(world, user_attr))
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_IDEMPOTENCY_KEY="bad-input-test")
    return client


def _send(client: APIClient, method: str, url: str, body: bytes):
    return getattr(client, method)(url, body, content_type="application/json")


@pytest.mark.parametrize(("endpoint", "kind"), API_CASES)
def test_api_refuses_bad_field_with_400_and_changes_nothing(victim_world, endpoint, kind):
    world, _attackers = victim_world
    user_attr, method, url, payload, roles = ENDPOINTS[endpoint]
    role, value = API_VALUES[kind]
    field = roles[role]
    before = fingerprint(world)

    response = _send(_api(world, user_attr), method, url(world), json.dumps({**payload(world), field: value}).encode())

    assert response.status_code == 400, (endpoint, kind, response.status_code, response.content[:300])
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["detail"], body
    if kind in ("markup", "javascript_url"):
        assert body["detail"][field] == [MARKUP_EN]
    assert fingerprint(world) == before


BODIES = {
    "malformed_json": b'{"amount": "1000.00", ',
    "not_utf8": '{"purpose": "采购"}'.encode("gb18030"),
    "nan_literal": b'{"amount": NaN, "term_months": 12}',
    "infinity_literal": b'{"amount": Infinity}',
    "list_not_object": b'[{"amount": "1000.00"}]',
    "string_not_object": b'"hello"',
}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("kind", list(BODIES))
def test_api_refuses_bad_body_with_400_and_changes_nothing(victim_world, endpoint, kind):
    world, _attackers = victim_world
    user_attr, method, url, _payload, _roles = ENDPOINTS[endpoint]
    before = fingerprint(world)

    response = _send(_api(world, user_attr), method, url(world), BODIES[kind])

    assert response.status_code == 400, (endpoint, kind, response.status_code, response.content[:300])
    body = response.json()
    expected = "invalid" if kind.endswith("not_object") else "malformed_request"
    assert body["code"] == expected, body
    assert body["message"]
    assert fingerprint(world) == before


def test_api_malformed_json_message_is_translated(victim_world):
    world, _attackers = victim_world
    english = _send(_api(world, "sme", language="en"), "post", "/api/v1/demands/", BODIES["malformed_json"])
    chinese = _send(_api(world, "sme", language="zh-hans"), "post", "/api/v1/demands/", BODIES["malformed_json"])
    assert english.status_code == chinese.status_code == 400
    assert english.json()["message"].startswith("The request body is not valid JSON")
    with translation.override("zh-hans"):
        from xinyidai.api.parsers import MALFORMED_JSON

        assert chinese.json()["message"] == str(MALFORMED_JSON)
    # DRF's own field messages come translated: a wrong number in Chinese.
    wrong = _send(
        _api(world, "sme", language="zh-hans"),
        "post",
        "/api/v1/demands/",
        json.dumps({"amount": "abc", "term_months": 12, "purpose": "采购", "guarantee_modes": ["04"]}).encode(),
    )
    assert wrong.json()["message"] == "请求无效，请查看各字段的详细说明。"
    assert wrong.json()["detail"]["amount"] == ["请填写合法的数字。"]


def test_api_json_body_over_the_limit_answers_json_400(victim_world, settings):
    world, _attackers = victim_world
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    before = fingerprint(world)
    body = json.dumps({"amount": "1000.00", "term_months": 12, "purpose": "采购" * 2000, "guarantee_modes": ["04"]})
    response = _send(_api(world, "sme"), "post", "/api/v1/demands/", body.encode())
    assert response.status_code == 400, response.content[:300]
    assert response.json()["code"] == "request_too_large"
    assert fingerprint(world) == before


def test_api_form_body_over_the_limit_answers_json_not_the_html_page(victim_world, settings):
    """The API reads JSON only: a browser session's form body (past the CSRF check) is refused with the API's
    JSON 415, never the HTML error page."""
    world, _attackers = victim_world
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    before = fingerprint(world)
    client = APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en", HTTP_X_CSRFTOKEN="a" * 32)
    client.force_login(world.sme)
    client.cookies["csrftoken"] = "a" * 32
    body = urlencode({"amount": "1000.00", "term_months": 12, "purpose": "采购" * 2000, "guarantee_modes": "04"})
    response = client.post("/api/v1/demands/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415, response.content[:300]
    assert response.json()["code"] == "unsupported_media_type"
    assert fingerprint(world) == before


@pytest.mark.parametrize(
    ("exception", "code"),
    [
        (RequestDataTooBig(), "request_too_large"),
        (TooManyFieldsSent(), "bad_request"),
        (SuspiciousOperation(), "bad_request"),
    ],
)
def test_api_error_handler_answers_suspicious_requests_with_json_400(exception, code):
    """A form parser (DRF's defaults) raising Django's request errors gets the API's JSON 400, not the HTML page."""
    with translation.override("en"):
        response = exception_handler(exception, {})
    assert response.status_code == 400
    assert response.data["code"] == code
    assert response.data["message"]


def test_token_endpoint_refuses_malformed_json_without_a_500(victim_world):
    world, _attackers = victim_world
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/auth/token/", b'{"username": "x", "password": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"
    assert Token.objects.filter(user__username="x").count() == 0


def test_json_number_for_money_is_stored_as_exact_decimal(victim_world):
    """A JSON number for money is read as a Decimal of cents, not a float that would round."""
    world, _attackers = victim_world
    response = _send(
        _api(world, "sme"),
        "post",
        "/api/v1/demands/",
        b'{"amount": 1000000.10, "term_months": 12, "purpose": "\xe9\x87\x87\xe8\xb4\xad", "guarantee_modes": ["04"]}',
    )
    assert response.status_code == 201, response.content[:300]
    demand = FinancingDemand.objects.get(pk=response.json()["id"])
    assert demand.amount == Decimal("1000000.10")
    assert isinstance(demand.amount, Decimal)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_api_base_payloads_are_valid_so_the_400s_come_from_the_bad_field(victim_world, endpoint):
    """The control for the API cases: the unaltered payload raises no error on any field the cases alter."""
    world, _attackers = victim_world
    user_attr, method, url, payload, roles = ENDPOINTS[endpoint]
    response = _send(_api(world, user_attr), method, url(world), json.dumps(payload(world)).encode())
    assert response.status_code < 500, response.content[:300]
    detail = response.json().get("detail", {}) if response.status_code == 400 else {}
    assert not set(roles.values()) & set(detail), detail
