"""Shared fixtures for the security suites: a "victim" party in Luoyang with an object of every kind, and the
attackers who must not reach it (all in Zhengzhou, except the victim's own bank's officer without live consent).

河南省 410000 ── 洛阳市 410300 ── 涧西区 410305   victim enterprise, its SME user, Luoyang staff
             └─ 郑州市 410100 ── 金水区 410105   attackers: an SME, another bank's officer, city staff

Victim bank: a provincial head office ── its Luoyang branch (product, application, loan, claim, feedback batch).
The enterprise's every authorization for that branch has been revoked, so the branch's officer
(`officer_no_consent`) still sees its institution's application and loan but no credit information.

The world is built once per module (inside a transaction rolled back at the end); each test runs in a savepoint.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from creditinfo.models import (
    Authorization,
    CreditRecord,
    CreditReport,
    Enterprise,
    Evaluation,
    ImportBatch,
    Objection,
    RepairRequest,
)
from creditinfo.uscc import uscc_build
from lending.models import Application, DemandClaim, FinancingDemand, Loan, Product
from lending.models.events import EventParticipant, Intent, MatchmakingEvent, OutreachLead
from lending.models.feedback import FeedbackBatch
from lending.models.targets import Target
from tests.factories import (
    AdminFactory,
    ApplicationFactory,
    AuthorizationFactory,
    BranchFactory,
    CityFactory,
    CountyFactory,
    CreditRecordFactory,
    CreditReportFactory,
    DataSourceFactory,
    DemandClaimFactory,
    DemandFactory,
    EnterpriseFactory,
    EvaluationFactory,
    EventParticipantFactory,
    InstitutionFactory,
    IntentFactory,
    LoanFactory,
    MatchmakingEventFactory,
    ObjectionFactory,
    OfficerFactory,
    ProductFactory,
    RepairRequestFactory,
    SmeUserFactory,
    StaffFactory,
)
from xinyidai.models import Institution, Notification, User

# Strings that identify the victim; a refused answer must contain none of them.
VICTIM_NAME = "洛阳矩阵受害精密机械有限公司"
RECORD_MARK = "矩阵机密处罚"  # in every credit record title of the victim
RECORD_DETAIL = "矩阵机密罚款人民币八万七千六百五十四元"
LOAN_CONTRACT = "HT-MATRIX-SECRET-0001"
LOAN_PRINCIPAL = Decimal("8765432.10")


@dataclass
class World:
    """The victim party's objects, by the names the access matrix uses."""

    enterprise: Enterprise
    sme: User
    branch: Institution
    officer: User
    staff: User
    admin: User
    product: Product
    application: Application
    loan: Loan
    demand: FinancingDemand
    claim: DemandClaim
    authorization: Authorization  # live, for another Luoyang bank: the one an attacker would try to revoke
    record: CreditRecord
    objection: Objection
    repair: RepairRequest
    report: CreditReport  # requested by the enterprise itself
    bank_report: CreditReport  # requested by the victim's branch while its consent was live
    evaluation: Evaluation
    event: MatchmakingEvent
    participant: EventParticipant
    intent: Intent
    lead: OutreachLead
    notification: Notification
    import_batch: ImportBatch
    feedback_batch: FeedbackBatch
    target: Target

    def markers(self) -> dict[str, tuple[str, ...]]:
        """Identifying strings by group (see access_matrix.IDENTITY / CREDIT / LOAN)."""
        return {
            "identity": (VICTIM_NAME, self.enterprise.uscc),
            "credit": (RECORD_MARK, RECORD_DETAIL),
            "loan": (LOAN_CONTRACT, "8765432.10", "8,765,432.10", "876.54"),
        }


def build_world() -> World:
    """The victim party: a Luoyang enterprise with one object of every kind the URLs take."""
    city = CityFactory(code="410300", name="洛阳市")
    county = CountyFactory(code="410305", name="涧西区", parent=city)
    enterprise = EnterpriseFactory(
        region=county, name=VICTIM_NAME, uscc=uscc_build(division="410305", serial=7_654_321)
    )
    sme = SmeUserFactory(enterprise=enterprise)
    staff = StaffFactory(region=city)
    admin = AdminFactory()
    branch = BranchFactory(parent=InstitutionFactory(name="矩阵银行"), region=city, name="矩阵银行洛阳分行")
    officer = OfficerFactory(institution=branch)
    product = ProductFactory(institution=branch, created_by=officer)
    application = ApplicationFactory(enterprise=enterprise, product=product, submitted_by=sme)
    loan = LoanFactory(
        application__enterprise=enterprise,
        application__product=product,
        application__submitted_by=sme,
        contract_number=LOAN_CONTRACT,
        principal=LOAN_PRINCIPAL,
        outstanding_balance=LOAN_PRINCIPAL,
        disbursed_by=officer,
    )
    demand = DemandFactory(enterprise=enterprise, created_by=sme)
    claim = DemandClaimFactory(
        demand__enterprise=enterprise, demand__created_by=sme, institution=branch, officer=officer
    )
    record = CreditRecordFactory(
        enterprise=enterprise, title=f"{RECORD_MARK}：未按规定公示年度报告", detail=RECORD_DETAIL
    )
    repaired = CreditRecordFactory(source=record.source, enterprise=enterprise, title=f"{RECORD_MARK}：逾期未申报")
    bank_report = CreditReportFactory(
        enterprise=enterprise,
        requested_by=officer,
        status=CreditReport.Status.READY,
        file="reports/matrix/bank.pdf",
        issued_at=timezone.now(),
    )
    # Consent for the victim's branch is over: every authorization it ever held is revoked.
    Authorization.objects.filter(enterprise=enterprise, institution=branch).update(
        revoked_at=timezone.now() - datetime.timedelta(days=1)
    )
    event = MatchmakingEventFactory(region=city, organizer=staff, title="洛阳矩阵政银企对接会")
    EventParticipantFactory(event=event, enterprise=None, institution=branch)
    intent = IntentFactory(event=event, enterprise=enterprise, institution=branch, recorded_by=staff)
    return World(
        enterprise=enterprise,
        sme=sme,
        branch=branch,
        officer=officer,
        staff=staff,
        admin=admin,
        product=product,
        application=application,
        loan=loan,
        demand=demand,
        claim=claim,
        authorization=AuthorizationFactory(
            enterprise=enterprise, institution=BranchFactory(region=city), granted_by=sme
        ),
        record=record,
        objection=ObjectionFactory(record=record, raised_by=sme),
        repair=RepairRequestFactory(record=repaired, requested_by=sme),
        report=CreditReportFactory(enterprise=enterprise, requested_by=sme),
        bank_report=bank_report,
        evaluation=EvaluationFactory(enterprise=enterprise),
        event=event,
        participant=EventParticipantFactory(event=event, enterprise=enterprise),
        intent=intent,
        lead=OutreachLead.objects.create(enterprise=enterprise, region=county, pushed_by=staff),
        notification=Notification.objects.create(
            user=sme,
            kind="application_accepted",
            params={"number": application.number, "institution": branch.name},
        ),
        import_batch=ImportBatch.objects.create(
            source=DataSourceFactory(), file="imports/matrix.csv", original_name="matrix.csv", uploaded_by=admin
        ),
        feedback_batch=FeedbackBatch.objects.create(institution=branch, uploaded_by=officer, original_name="fb.csv"),
        target=Target.objects.create(
            metric="balance",
            value=Decimal("100000000.00"),
            deadline=datetime.date(2026, 12, 31),
            region=city,
            created_by=staff,
        ),
    )


def build_attackers(world: World) -> dict[str, User | None]:
    """The parties who must not reach the victim's objects, by the names the access matrix uses."""
    zhengzhou = CityFactory()
    return {
        "anonymous": None,
        "sme_other": SmeUserFactory(),
        "officer_other": OfficerFactory(),
        "officer_no_consent": OfficerFactory(institution=world.branch),
        "staff_other_city": StaffFactory(region=zhengzhou),
    }


@pytest.fixture(scope="module")
def victim_world(django_db_setup, django_db_blocker):
    """(world, attackers), built once per module in a transaction that is rolled back afterwards."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = build_world()
            yield world, build_attackers(world)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
