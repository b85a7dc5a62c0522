"""`visible_to(user)`: the one visibility rule per model (DESIGN.md §2), for every kind of viewer.

Each case compares the whole visible set, so a rule that lets another party's row through fails as surely
as one that hides the viewer's own. Enterprise and Authorization (creditinfo) are covered here too: the scene
that gives them meaning (applications, claims) lives in lending.

The scene (see conftest for the map):
    e1 (金水区, Zhengzhou) applied to A-ZZ's product: authorization a1, application app1, loan l1;
        published d_pool (open) and d_claimed (claimed by A-ZZ: claim c1)
    e2 (老城区, Luoyang) applied to A-LY's product: authorization a2, application app2 (submitted);
        published d_ly (open)
    A-ZZ also has a draft and an unlisted product.
"""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from creditinfo.models import Authorization, Enterprise, EnterpriseMembership
from lending.models import Application, DemandClaim, FinancingDemand, Loan, Product
from lending.services.applications import application_submit
from lending.services.demands import demand_claim, demand_publish
from tests.factories import AdminFactory, UserFactory

S = Application.Status

VIEWERS = [
    "anonymous",
    "sme1",
    "sme2",
    "officer_branch",  # A-ZZ
    "officer_head_office",  # bank A's head office, above A-ZZ and A-LY
    "officer_sub_branch",  # A-ZZ-JS, below A-ZZ
    "officer_sibling_branch",  # A-LY
    "officer_other_bank",  # B-ZZ
    "staff_province",
    "staff_city",  # Zhengzhou
    "staff_county",  # 金水区
    "staff_other_county",  # 中原区, Zhengzhou
    "staff_other_city",  # Luoyang
    "admin",
]

EXPECTED = {
    Enterprise: {
        "anonymous": set(),
        "sme1": {"e1"},
        "sme2": {"e2"},
        "officer_branch": {"e1"},
        "officer_head_office": {"e1", "e2"},
        "officer_sub_branch": set(),
        "officer_sibling_branch": {"e2"},
        "officer_other_bank": set(),
        "staff_province": {"e1", "e2"},
        "staff_city": {"e1"},
        "staff_county": {"e1"},
        "staff_other_county": set(),
        "staff_other_city": {"e2"},
        "admin": {"e1", "e2"},
    },
    Authorization: {
        "anonymous": set(),
        "sme1": {"a1"},
        "sme2": {"a2"},
        "officer_branch": {"a1"},
        "officer_head_office": {"a1", "a2"},
        "officer_sub_branch": set(),
        "officer_sibling_branch": {"a2"},
        "officer_other_bank": set(),
        # Government staff see aggregates, never who authorized whom.
        "staff_province": set(),
        "staff_city": set(),
        "staff_county": set(),
        "staff_other_county": set(),
        "staff_other_city": set(),
        "admin": {"a1", "a2"},
    },
    Product: {
        "anonymous": {"p_listed", "p_ly"},
        "sme1": {"p_listed", "p_ly"},
        "sme2": {"p_listed", "p_ly"},
        "officer_branch": {"p_listed", "p_draft", "p_unlisted", "p_ly"},
        "officer_head_office": {"p_listed", "p_draft", "p_unlisted", "p_ly"},
        "officer_sub_branch": {"p_listed", "p_ly"},
        "officer_sibling_branch": {"p_listed", "p_ly"},
        "officer_other_bank": {"p_listed", "p_ly"},
        "staff_province": {"p_listed", "p_ly"},
        "staff_city": {"p_listed", "p_ly"},
        "staff_county": {"p_listed", "p_ly"},
        "staff_other_county": {"p_listed", "p_ly"},
        "staff_other_city": {"p_listed", "p_ly"},
        "admin": {"p_listed", "p_draft", "p_unlisted", "p_ly"},
    },
    FinancingDemand: {
        "anonymous": set(),
        "sme1": {"d_pool", "d_claimed"},
        "sme2": {"d_ly"},
        "officer_branch": {"d_pool", "d_claimed"},  # its pool (Zhengzhou) and its own claim
        "officer_head_office": {"d_pool", "d_claimed", "d_ly"},  # the province's pool and its branch's claim
        "officer_sub_branch": {"d_pool"},  # 金水区's pool; the parent's claim is not its own
        "officer_sibling_branch": {"d_ly"},
        "officer_other_bank": {"d_pool"},  # d_claimed is exclusively A-ZZ's while the claim runs
        "staff_province": {"d_pool", "d_claimed", "d_ly"},
        "staff_city": {"d_pool", "d_claimed"},
        "staff_county": {"d_pool", "d_claimed"},
        "staff_other_county": set(),
        "staff_other_city": {"d_ly"},
        "admin": {"d_pool", "d_claimed", "d_ly"},
    },
    DemandClaim: {
        "anonymous": set(),
        "sme1": {"c1"},
        "sme2": set(),
        "officer_branch": {"c1"},
        "officer_head_office": {"c1"},
        "officer_sub_branch": set(),
        "officer_sibling_branch": set(),
        "officer_other_bank": set(),
        "staff_province": {"c1"},
        "staff_city": {"c1"},
        "staff_county": {"c1"},
        "staff_other_county": set(),
        "staff_other_city": set(),
        "admin": {"c1"},
    },
    Application: {
        "anonymous": set(),
        "sme1": {"app1"},
        "sme2": {"app2"},
        "officer_branch": {"app1"},
        "officer_head_office": {"app1", "app2"},
        "officer_sub_branch": set(),
        "officer_sibling_branch": {"app2"},
        "officer_other_bank": set(),
        "staff_province": {"app1", "app2"},
        "staff_city": {"app1"},
        "staff_county": {"app1"},
        "staff_other_county": set(),
        "staff_other_city": {"app2"},
        "admin": {"app1", "app2"},
    },
    Loan: {
        "anonymous": set(),
        "sme1": {"l1"},
        "sme2": set(),
        "officer_branch": {"l1"},
        "officer_head_office": {"l1"},
        "officer_sub_branch": set(),
        "officer_sibling_branch": set(),
        "officer_other_bank": set(),
        "staff_province": {"l1"},
        "staff_city": {"l1"},
        "staff_county": {"l1"},
        "staff_other_county": set(),
        "staff_other_city": set(),
        "admin": {"l1"},
    },
}


class Scene:
    def __init__(self, world):
        self.world = world
        w = world
        p_listed = w.product(w.a_zz)
        p_ly = w.product(w.a_ly)
        app1 = w.application(S.DISBURSED, product=p_listed)
        app2 = application_submit(
            user=w.sme2, product_id=p_ly.pk, amount=Decimal("200000"), term_months=6, purpose="x", consent=True
        )
        d_pool = _publish(w.sme1)
        d_claimed = _publish(w.sme1)
        c1 = demand_claim(demand_id=d_claimed.pk, officer=w.officer(w.a_zz))
        d_ly = _publish(w.sme2)
        self.objects = {
            "e1": w.e1,
            "e2": w.e2,
            "a1": app1.authorization,
            "a2": app2.authorization,
            "p_listed": p_listed,
            "p_draft": w.product(w.a_zz, status=Product.Status.DRAFT),
            "p_unlisted": w.product(w.a_zz, status=Product.Status.UNLISTED),
            "p_ly": p_ly,
            "d_pool": d_pool,
            "d_claimed": d_claimed,
            "d_ly": d_ly,
            "c1": c1,
            "app1": app1,
            "app2": app2,
            "l1": app1.loan,
        }

    def viewer(self, name: str):
        w = self.world
        officers = {
            "officer_branch": w.a_zz,
            "officer_head_office": w.bank_a,
            "officer_sub_branch": w.a_zz_js,
            "officer_sibling_branch": w.a_ly,
            "officer_other_bank": w.b_zz,
        }
        staff = {
            "staff_province": w.henan,
            "staff_city": w.zhengzhou,
            "staff_county": w.jinshui,
            "staff_other_county": w.zhongyuan,
            "staff_other_city": w.luoyang,
        }
        if name in officers:
            return w.officer(officers[name])
        if name in staff:
            return w.staff(staff[name])
        return {"anonymous": AnonymousUser(), "sme1": w.sme1, "sme2": w.sme2, "admin": AdminFactory()}[name]

    def visible(self, model, user) -> set[str]:
        names = {(type(obj), obj.pk): name for name, obj in self.objects.items()}
        pks = model.objects.visible_to(user).values_list("pk", flat=True)
        return {names.get((model, pk), f"unexpected {model.__name__} #{pk}") for pk in pks}


def _publish(sme):
    return demand_publish(user=sme, amount=Decimal("300000"), term_months=6, purpose="备货", guarantee_modes=["04"])


@pytest.fixture
def scene(world):
    return Scene(world)


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("model", list(EXPECTED), ids=lambda m: m.__name__)
def test_visible_to(scene, model, viewer):
    assert scene.visible(model, scene.viewer(viewer)) == EXPECTED[model][viewer]


def test_every_model_and_viewer_is_specified():
    for model, table in EXPECTED.items():
        assert set(table) == set(VIEWERS), model


@pytest.mark.parametrize("model", list(EXPECTED), ids=lambda m: m.__name__)
def test_visible_to_needs_no_duplicates(scene, model):
    """Joins through memberships and claims must not repeat rows (pagination counts would be wrong)."""
    for viewer in VIEWERS:
        user = scene.viewer(viewer)
        pks = list(model.objects.visible_to(user).values_list("pk", flat=True))
        assert len(pks) == len(set(pks)), (model.__name__, viewer)


def test_an_expired_claim_puts_the_demand_back_in_everyone_elses_pool(scene):
    """Once its deadline passes, d_claimed is in B-ZZ's pool at once, before the cleanup task runs."""
    DemandClaim.objects.filter(pk=scene.objects["c1"].pk).update(deadline=timezone.now() - datetime.timedelta(1))
    other_bank = scene.viewer("officer_other_bank")
    assert scene.visible(FinancingDemand, other_bank) == {"d_pool", "d_claimed"}
    assert scene.visible(DemandClaim, other_bank) == set()  # the claim itself stays A-ZZ's business
    assert scene.visible(FinancingDemand, scene.viewer("officer_branch")) == {"d_pool", "d_claimed"}


def test_a_second_member_of_the_enterprise_sees_the_same(scene):
    colleague = UserFactory()
    EnterpriseMembership.objects.create(user=colleague, enterprise=scene.world.e1, is_owner=False)
    for model, table in EXPECTED.items():
        assert scene.visible(model, colleague) == table["sme1"], model.__name__
