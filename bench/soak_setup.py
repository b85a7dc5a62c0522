"""The Django side of the soak (bench/soak.py): soak logins in a benchmark database, and the clean-up after a run.

    python -m bench.soak_setup setup SPEC.json OUT.json    # users and what each journey needs, as JSON
    python -m bench.soak_setup cleanup MARK                 # delete what a run wrote (purpose == MARK)
    python -m bench.soak_setup stats STARTED_ISO            # Celery-side facts since the run started

Runs in its own process with the server's environment (DATABASE_URL, production settings), like
bench/capture.py; bench/soak.py refuses CI's databases before it gets here. Idempotent: the soak users are
created once (`soak_` usernames, the demo password) and found again by later runs; nothing else is changed
by `setup`.
"""

import datetime
import json
import os
import random
import sys


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinyidai.settings")
    import django

    django.setup()


def _user(username: str, password_hash: str, **fields):
    from xinyidai.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, **fields)
    else:
        for name, value in fields.items():
            setattr(user, name, value)
    user.password = password_hash
    user.is_active = True
    user.save()
    return user


def _sme(username: str, enterprise, password_hash: str):
    from creditinfo.models import EnterpriseMembership
    from xinyidai.models import User

    user = _user(username, password_hash, role=User.Role.SME, full_name=f"压测企业用户{username[-2:]}")
    EnterpriseMembership.objects.update_or_create(user=user, defaults={"enterprise": enterprise, "is_owner": True})
    return user


def _eligible_products(enterprise, institution_ids: list[int]) -> list:
    """Listed products of these institutions the enterprise is eligible for (the supermarket's own rule)."""
    from lending.eligibility import EnterpriseFacts, eligible_annotation
    from lending.models import Product

    facts = EnterpriseFacts.of(enterprise)
    products = (
        Product.objects.listed()
        .filter(institution_id__in=institution_ids)
        .annotate(eligible=eligible_annotation(facts))
        .filter(eligible=True)
        .order_by("id")
    )
    return [
        {
            "id": p.id,
            "institution": p.institution_id,
            "amount": str(p.amount_min),
            "term_months": p.term_min_months,
        }
        for p in products
    ]


def setup(spec: dict) -> dict:
    """Create (or find) the soak logins: officers and bank API clients at `institutions` branches that list
    products, SMEs of enterprises eligible for at least one of those products, staff of the province and of
    cities; and pick what their journeys need (eligible products, live loans for feedback)."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.db.models import Count, Q

    from creditinfo.models import Enterprise
    from lending.models import Loan
    from xinyidai.models import Institution, Region, User

    rng = random.Random(spec.get("seed", 20261128))
    counts = spec["counts"]
    password_hash = make_password(spec["password"])
    n_inst = spec["institutions"]
    out = {"users": [], "institutions": []}
    with transaction.atomic():
        # Branches with their own listed products, the most first: the applications the SMEs submit land there.
        branches = list(
            Institution.objects.filter(parent__isnull=False, is_active=True)
            .annotate(listed=Count("products", filter=Q(products__status="listed")))
            .filter(listed__gt=0)
            .select_related("region")
            .order_by("-listed", "code")[: n_inst * 4]
        )
        rng.shuffle(branches)
        chosen, smes = [], []
        sme_total = counts.get("sme", 0) + counts.get("api_report", 0)
        per_inst = -(-sme_total // n_inst) if n_inst else 0
        for branch in branches:
            if len(chosen) == n_inst:
                break
            candidates = list(
                Enterprise.objects.filter(branch.region.subtree_q("region"))
                .select_related("region__parent__parent", "industry__parent__parent", "evaluation")
                .prefetch_related("tags")
                .order_by("id")[:400]
            )
            rng.shuffle(candidates)
            found = []
            for enterprise in candidates:
                products = _eligible_products(enterprise, [branch.id])
                if products:
                    found.append((enterprise, products))
                if len(found) == per_inst:
                    break
            if len(found) < per_inst:
                continue  # too few eligible enterprises near this branch: take another
            chosen.append(branch)
            smes += [(branch, e, p) for e, p in found]
        if len(chosen) < n_inst:
            raise SystemExit(f"only {len(chosen)} branches with {per_inst} eligible enterprises each were found")

        loans_by_inst = {
            b.id: list(
                Loan.objects.filter(institution_id=b.id, status=Loan.Status.LIVE, outstanding_balance__gte=100_000)
                .order_by("id")
                .values_list("id", flat=True)[:200]
            )
            for b in chosen
        }
        for b in chosen:
            out["institutions"].append(
                {
                    "id": b.id,
                    "code": b.code,
                    "name": b.name,
                    "region": b.region.code,
                    "live_loans": len(loans_by_inst[b.id]),
                }
            )

        def officer(username: str, branch) -> dict:
            user = _user(username, password_hash, role=User.Role.OFFICER, institution=branch, full_name="压测信贷员")
            return {"username": user.username, "institution": branch.id}

        for i in range(counts.get("officer", 0)):
            out["users"].append({"role": "officer", **officer(f"soak_officer_{i + 1:02d}", chosen[i % n_inst])})
        for i in range(counts.get("api_bank", 0)):
            branch = chosen[i % n_inst]
            entry = officer(f"soak_bank_{i + 1:02d}", branch)
            out["users"].append({"role": "api_bank", **entry, "loans": loans_by_inst[branch.id]})
        for i, (branch, enterprise, products) in enumerate(smes[:sme_total]):
            role = "sme" if i < counts.get("sme", 0) else "api_report"
            username = f"soak_sme_{i + 1:02d}" if role == "sme" else f"soak_report_{i + 1 - counts.get('sme', 0):02d}"
            _sme(username, enterprise, password_hash)
            out["users"].append(
                {
                    "role": role,
                    "username": username,
                    "enterprise": enterprise.id,
                    "institution": branch.id,
                    "products": products,
                }
            )
        province = Region.objects.get(parent__isnull=True)
        cities = list(Region.objects.filter(parent=province).order_by("code"))
        staff = counts.get("staff", 0) + counts.get("api_stats", 0)
        for i in range(staff):
            region = province if i % 2 == 0 else cities[(i // 2) % len(cities)]
            role = "staff" if i < counts.get("staff", 0) else "api_stats"
            username = f"soak_staff_{i + 1:02d}"
            _user(username, password_hash, role=User.Role.STAFF, region=region, full_name="压测监管用户")
            out["users"].append({"role": role, "username": username, "region": region.code})
    order = ["sme", "officer", "staff", "api_bank", "api_stats", "api_report"]
    out["users"].sort(key=lambda u: (order.index(u["role"]), u["username"]))
    return out


def cleanup(mark: str) -> dict:
    """Delete the applications and demands a run wrote (their purpose is `mark`), with their claims, events and
    consents. Repayments, credit reports, query-log rows and audit events stay: they are what a bank's feedback
    and a report request leave behind, and the next run does not depend on them."""
    from django.db import transaction

    from creditinfo.models import Authorization, QueryLog
    from lending.models import Application, DemandClaim, FinancingDemand

    deleted: dict[str, int] = {}

    def count(result) -> None:
        for model, n in result[1].items():
            deleted[model] = deleted.get(model, 0) + n

    with transaction.atomic():
        applications = Application.objects.filter(purpose=mark)
        authorization_ids = list(applications.values_list("authorization_id", flat=True))
        count(applications.delete())  # events and decisions cascade
        # A consent an officer used stays with its query-log rows (protected: the enterprise's record of who
        # looked); only the unused ones go.
        used = QueryLog.objects.filter(authorization_id__in=authorization_ids).values("authorization_id")
        count(
            Authorization.objects.filter(pk__in=authorization_ids, applications__isnull=True)
            .exclude(pk__in=used)
            .delete()
        )
        demands = FinancingDemand.objects.filter(purpose=mark)
        count(DemandClaim.objects.filter(demand__in=demands).delete())
        count(demands.delete())
    return deleted


def worker_stats(started: str) -> dict:
    """What the Celery worker did since `started`: rollup refreshes and credit reports, by outcome."""
    from django.db.models import Avg, Count, Sum

    from creditinfo.models import CreditReport
    from lending.models.stats import StatsRefresh

    since = datetime.datetime.fromisoformat(started)
    refreshes = StatsRefresh.objects.filter(started_at__gte=since)
    reports = CreditReport.objects.filter(created_at__gte=since)
    cost = refreshes.filter(finished_at__isnull=False).aggregate(seconds=Sum("seconds"), cells=Avg("cells"))
    return {
        "stats_refreshes": refreshes.count(),
        "stats_refreshes_finished": refreshes.filter(finished_at__isnull=False).count(),
        "stats_refresh_seconds_total": float(cost["seconds"] or 0),
        "stats_refresh_cells_mean": round(float(cost["cells"] or 0), 1),
        "credit_reports": {r["status"]: r["n"] for r in reports.values("status").annotate(n=Count("id"))},
    }


def main(argv: list[str]) -> int:
    _setup_django()
    if argv[:1] == ["setup"] and len(argv) == 3:
        with open(argv[1]) as f:
            spec = json.load(f)
        with open(argv[2], "w") as f:
            json.dump(setup(spec), f, ensure_ascii=False)
        return 0
    if argv[:1] == ["cleanup"] and len(argv) == 2:
        print(json.dumps(cleanup(argv[1])))
        return 0
    if argv[:1] == ["stats"] and len(argv) == 2:
        print(json.dumps(worker_stats(argv[1])))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
