"""Two officers acting at once: exactly one wins (DESIGN.md §3), on PostgreSQL with real row locks.

Each thread has its own database connection and starts at a barrier. The winner is slowed down *inside* its
transaction, after taking the lock, so the loser is sure to arrive while the winner still holds it: without
`select_for_update` both would pass the state check and the loser would die on a constraint instead of
getting a clean refusal.
"""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connections

from lending.models import Application, ApplicationEvent, CreditDecision, DemandClaim, FinancingDemand
from lending.services import applications as application_services
from lending.services import demands as demand_services
from lending.services.applications import application_accept, application_approve, application_withdraw
from lending.services.demands import demand_claim, demand_publish
from xinyidai.errors import DomainError, InvalidTransition

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

S = Application.Status
HOLD_SECONDS = 0.5


def run_at_once(*calls):
    """Run each callable in its own thread, released together; return [("ok", value) | ("error", exc)]."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def runner(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", call())
        except Exception as exc:  # the refusal is the point; anything else is asserted on below
            results[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return results


def slow_down(monkeypatch, module, name):
    """Make `module.name` pause the first time it is called, while its caller holds the row lock."""
    original = getattr(module, name)
    first = threading.Lock()

    def slowed(*args, **kwargs):
        if first.acquire(blocking=False):
            time.sleep(HOLD_SECONDS)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, slowed)


def split(results):
    wins = [value for kind, value in results if kind == "ok"]
    losses = [value for kind, value in results if kind == "error"]
    return wins, losses


def test_two_officers_approve_the_same_application(world, monkeypatch):
    application = world.application(S.ACCEPTED)
    officers = [world.officer(world.a_zz), world.officer(world.bank_a)]  # the branch and its head office
    slow_down(monkeypatch, application_services, "_check_terms")

    def approve(officer, amount):
        return lambda: application_approve(
            application_id=application.pk,
            officer=officer,
            amount=Decimal(amount),
            annual_rate=Decimal("4.2"),
            term_months=12,
        )

    wins, losses = split(run_at_once(approve(officers[0], "500000"), approve(officers[1], "600000")))

    assert len(wins) == 1 and len(losses) == 1
    assert isinstance(losses[0], InvalidTransition), repr(losses[0])
    assert losses[0].detail["status"] == S.APPROVED
    application.refresh_from_db()
    assert application.status == S.APPROVED
    decisions = list(CreditDecision.objects.filter(application=application))
    assert len(decisions) == 1
    approved = list(application.events.filter(kind=ApplicationEvent.Kind.APPROVED))
    assert len(approved) == 1
    # The one decision and the one event belong to the same winner.
    assert decisions[0].decided_by_id == approved[0].actor_id
    assert Decimal(approved[0].data["amount"]) == decisions[0].amount


def test_two_officers_accept_the_same_application(world, monkeypatch):
    application = world.application(S.SUBMITTED)
    slow_down(monkeypatch, application_services, "_require_status")
    officers = [world.officer(world.a_zz), world.officer(world.bank_a)]
    results = run_at_once(*[lambda o=o: application_accept(application_id=application.pk, officer=o) for o in officers])
    wins, losses = split(results)
    assert len(wins) == 1 and isinstance(losses[0], InvalidTransition), results
    application.refresh_from_db()
    assert application.status == S.ACCEPTED
    assert application.events.filter(kind=ApplicationEvent.Kind.ACCEPTED).count() == 1
    assert application.handled_by_id == wins[0].handled_by_id


def test_withdraw_races_accept(world, monkeypatch):
    """The SME withdraws while the bank accepts: one of them wins and the history tells which."""
    application = world.application(S.SUBMITTED)
    slow_down(monkeypatch, application_services, "_require_status")
    results = run_at_once(
        lambda: application_accept(application_id=application.pk, officer=world.officer(world.a_zz)),
        lambda: application_withdraw(application_id=application.pk, user=world.sme1),
    )
    wins, losses = split(results)
    assert len(wins) == 1 and isinstance(losses[0], InvalidTransition), results
    application.refresh_from_db()
    assert application.status == wins[0].status in {S.ACCEPTED, S.WITHDRAWN}
    kinds = list(application.events.values_list("kind", flat=True))
    assert kinds == ["submitted", "accepted" if application.status == S.ACCEPTED else "withdrawn"]


def test_two_institutions_claim_the_same_demand(world, monkeypatch):
    demand = demand_publish(
        user=world.sme1, amount=Decimal("300000"), term_months=6, purpose="备货", guarantee_modes=["04"]
    )
    officers = [world.officer(world.a_zz), world.officer(world.b_zz)]
    slow_down(monkeypatch, demand_services, "deadline_after_working_days")

    results = run_at_once(*[lambda o=o: demand_claim(demand_id=demand.pk, officer=o) for o in officers])

    wins, losses = split(results)
    assert len(wins) == 1 and len(losses) == 1, results
    assert isinstance(losses[0], DomainError) and losses[0].code == "not_claimable", repr(losses[0])
    claims = list(DemandClaim.objects.filter(demand=demand))
    assert len(claims) == 1
    assert claims[0].pk == wins[0].pk and claims[0].status == DemandClaim.Status.ACTIVE
    demand.refresh_from_db()
    assert demand.status == FinancingDemand.Status.CLAIMED
