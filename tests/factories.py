"""factory_boy factories for every model; regions and industries are get-or-create by code."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from creditinfo.models import (
    Authorization,
    CreditRecord,
    CreditReport,
    DataSource,
    Enterprise,
    EnterpriseMembership,
    EnterpriseTag,
    Evaluation,
    Objection,
    QueryLog,
    RecordCategory,
    RepairRequest,
    Severity,
)
from creditinfo.uscc import uscc_build
from lending.models import (
    Application,
    DemandClaim,
    FinancingDemand,
    GuaranteeMode,
    Loan,
    Product,
    ProductType,
)
from xinyidai.models import Industry, Institution, Region, User


class ProvinceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "410000"
    name = "河南省"
    level = Region.Level.PROVINCE


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "410100"
    name = "郑州市"
    level = Region.Level.CITY
    parent = factory.SubFactory(ProvinceFactory)


class CountyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "410105"
    name = "金水区"
    level = Region.Level.COUNTY
    parent = factory.SubFactory(CityFactory)


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Industry
        django_get_or_create = ("code",)

    code = "C"
    name = "制造业"
    level = Industry.Level.SECTION


class DivisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Industry
        django_get_or_create = ("code",)

    code = "39"
    name = "计算机、通信和其他电子设备制造业"
    level = Industry.Level.DIVISION
    parent = factory.SubFactory(SectionFactory)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EnterpriseTag
        django_get_or_create = ("code",)

    code = "zjtx"
    name = "专精特新"


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    code = factory.Sequence(lambda n: f"B{n:05d}")
    name = factory.Sequence(lambda n: f"测试银行{n}河南省分行")
    region = factory.SubFactory(ProvinceFactory)


class BranchFactory(InstitutionFactory):
    name = factory.Sequence(lambda n: f"测试银行郑州分行{n}")
    parent = factory.SubFactory(InstitutionFactory)
    region = factory.SubFactory(CityFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    role = User.Role.SME
    password = factory.PostGenerationMethodCall("set_password", "Passw0rd!xyz")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class OfficerFactory(UserFactory):
    role = User.Role.OFFICER
    institution = factory.SubFactory(BranchFactory)


class StaffFactory(UserFactory):
    role = User.Role.STAFF
    region = factory.SubFactory(CityFactory)


class AdminFactory(UserFactory):
    role = User.Role.ADMIN
    is_staff = True
    is_superuser = True


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    uscc = factory.Sequence(lambda n: uscc_build(division="410105", serial=10_000 + n))
    name = factory.Sequence(lambda n: f"郑州测试科技有限公司{n}")
    legal_representative = "张三"
    region = factory.SubFactory(CountyFactory)
    industry = factory.SubFactory(DivisionFactory)
    employees = 50
    revenue = Decimal("20000000.00")
    assets = Decimal("15000000.00")
    size_class = "small"


class SmeUserFactory(UserFactory):
    role = User.Role.SME

    @factory.post_generation
    def enterprise(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            EnterpriseMembership.objects.create(user=obj, enterprise=extracted or EnterpriseFactory())


class AuthorizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Authorization

    enterprise = factory.SubFactory(EnterpriseFactory)
    institution = factory.SubFactory(BranchFactory)
    purpose = Authorization.Purpose.LOAN_REVIEW
    valid_from = factory.LazyFunction(timezone.now)
    valid_until = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=90))
    granted_by = factory.SubFactory(UserFactory)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    institution = factory.SubFactory(BranchFactory)
    name = factory.Sequence(lambda n: f"科创信用贷{n}号")
    product_type = ProductType.WORKING_CAPITAL
    guarantee_mode = GuaranteeMode.CREDIT
    amount_min = Decimal("100000.00")
    amount_max = Decimal("5000000.00")
    term_min_months = 3
    term_max_months = 36
    rate_min = Decimal("3.450")
    rate_max = Decimal("5.500")
    status = Product.Status.LISTED
    created_by = factory.SubFactory(OfficerFactory, institution=factory.SelfAttribute("..institution"))


class DemandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FinancingDemand

    enterprise = factory.SubFactory(EnterpriseFactory)
    region = factory.SelfAttribute("enterprise.region")
    amount = Decimal("1000000.00")
    term_months = 12
    purpose = "采购原材料"
    guarantee_modes = factory.LazyFunction(lambda: [GuaranteeMode.CREDIT.value])
    created_by = factory.SubFactory(UserFactory)


class DemandClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DemandClaim

    demand = factory.SubFactory(DemandFactory, status=FinancingDemand.Status.CLAIMED)
    institution = factory.SubFactory(BranchFactory)
    officer = factory.SubFactory(OfficerFactory, institution=factory.SelfAttribute("..institution"))
    deadline = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=3))


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    number = factory.Sequence(lambda n: f"XYD2026{n:08d}")
    enterprise = factory.SubFactory(EnterpriseFactory)
    product = factory.SubFactory(ProductFactory)
    institution = factory.SelfAttribute("product.institution")
    authorization = factory.SubFactory(
        AuthorizationFactory,
        enterprise=factory.SelfAttribute("..enterprise"),
        institution=factory.SelfAttribute("..institution"),
    )
    amount = Decimal("1000000.00")
    term_months = 12
    purpose = "补充流动资金"
    submitted_by = factory.SubFactory(UserFactory)
    respond_by = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))


class LoanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Loan

    application = factory.SubFactory(ApplicationFactory, status=Application.Status.DISBURSED)
    contract_number = factory.Sequence(lambda n: f"HT{n:010d}")
    enterprise = factory.SelfAttribute("application.enterprise")
    institution = factory.SelfAttribute("application.institution")
    product = factory.SelfAttribute("application.product")
    principal = Decimal("1000000.00")
    annual_rate = Decimal("3.850")
    term_months = 12
    disbursed_on = factory.LazyFunction(lambda: timezone.localdate())
    maturity_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=365))
    guarantee_mode = GuaranteeMode.CREDIT
    outstanding_balance = Decimal("1000000.00")
    disbursed_by = factory.SubFactory(OfficerFactory, institution=factory.SelfAttribute("..institution"))


class DataSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataSource
        django_get_or_create = ("code",)

    code = "samr-penalty"
    name = "河南省市场监督管理局行政处罚"
    department = "河南省市场监督管理局"
    category = RecordCategory.PENALTY


class CreditRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditRecord

    source = factory.SubFactory(DataSourceFactory)
    source_record_id = factory.Sequence(lambda n: f"R{n:08d}")
    enterprise = factory.SubFactory(EnterpriseFactory)
    category = RecordCategory.PENALTY
    decision_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    severity = Severity.GENERAL
    title = "未按规定公示年度报告"
    authority = "郑州市金水区市场监督管理局"
    detail = "罚款人民币五千元"
    publish_until = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=335))


class QueryLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QueryLog

    authorization = factory.SubFactory(AuthorizationFactory)
    enterprise = factory.SelfAttribute("authorization.enterprise")
    institution = factory.SelfAttribute("authorization.institution")
    user = factory.SubFactory(OfficerFactory, institution=factory.SelfAttribute("..institution"))
    purpose = factory.SelfAttribute("authorization.purpose")


class EvaluationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evaluation

    enterprise = factory.SubFactory(EnterpriseFactory)
    score = 720
    grade = Evaluation.Grade.B
    factors = factory.LazyFunction(list)
    improvements = factory.LazyFunction(list)
    model_version = "test"


class ObjectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Objection

    record = factory.SubFactory(CreditRecordFactory)
    enterprise = factory.SelfAttribute("record.enterprise")
    raised_by = factory.SubFactory(UserFactory)
    reason = "该处罚已被行政复议撤销"
    due_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=20))


class RepairRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RepairRequest

    record = factory.SubFactory(CreditRecordFactory)
    enterprise = factory.SelfAttribute("record.enterprise")
    requested_by = factory.SubFactory(UserFactory)
    obligation_fulfilled_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=1))
    statement = "罚款已于当日缴清，整改完成。"


class CreditReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditReport

    enterprise = factory.SubFactory(EnterpriseFactory)
    number = factory.Sequence(lambda n: f"XYD-TEST-{n:08d}")
    verification_code = factory.Sequence(lambda n: f"VERIFY{n:010d}")
    requested_by = factory.SubFactory(UserFactory)


# --- matchmaking events (lending.models.events) ---------------------------------------------------------------


class MatchmakingEventFactory(factory.django.DjangoModelFactory):
    """A scheduled Zhengzhou event a week from now, open to registration, organised by Zhengzhou staff."""

    class Meta:
        model = "lending.MatchmakingEvent"

    title = factory.Sequence(lambda n: f"郑州市政银企对接会第{n}期")
    kind = "roadshow"
    starts_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda event: event.starts_at + datetime.timedelta(hours=3))
    place = "郑州市金水区金融会客厅"
    region = factory.SubFactory(CityFactory)
    organizer = factory.SubFactory(StaffFactory, region=factory.SelfAttribute("..region"))


class EventParticipantFactory(factory.django.DjangoModelFactory):
    """An invited enterprise (pass institution=... and enterprise=None for an institution)."""

    class Meta:
        model = "lending.EventParticipant"

    event = factory.SubFactory(MatchmakingEventFactory)
    enterprise = factory.SubFactory(EnterpriseFactory)
    status = "invited"
    invited = True
    invited_at = factory.LazyFunction(timezone.now)


class IntentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "lending.Intent"

    event = factory.SubFactory(MatchmakingEventFactory)
    enterprise = factory.SubFactory(EnterpriseFactory)
    institution = factory.SubFactory(BranchFactory)
    amount = Decimal("2000000.00")
    recorded_by = factory.SelfAttribute("event.organizer")
