"""What the lending services tell whom: the small helpers their `notify(...)` calls share (xinyidai.notifications).

Params are stored as data and rendered in each reader's language: `*_yuan` as money, `*_at` as local time.
"""

from django.urls import NoReverseMatch, reverse

from lending.models import Application, FinancingDemand


def member_ids(enterprise_id: int) -> list[int]:
    """The users acting for an enterprise (its members)."""
    from creditinfo.models import EnterpriseMembership

    return list(EnterpriseMembership.objects.filter(enterprise_id=enterprise_id).values_list("user_id", flat=True))


def alternatives_url() -> str:
    """Where an SME whose application was rejected or whose demand came back is offered alternatives: the ranked
    recommendations (the product supermarket where that page does not exist)."""
    try:
        return reverse("lending:recommendations")
    except NoReverseMatch:
        return reverse("lending:product_list")


def application_url(application: Application) -> str:
    return reverse("lending:application_detail", args=[application.pk])


def demand_url(demand: FinancingDemand) -> str:
    return reverse("lending:demand_detail", args=[demand.pk])


def application_params(application: Application, **extra) -> dict:
    """What every application notification names: the application, the enterprise, the institution."""
    return {
        "application_id": application.pk,
        "number": application.number,
        "enterprise": application.enterprise.name,
        "institution": application.institution.name,
        **extra,
    }


def demand_params(demand: FinancingDemand, **extra) -> dict:
    return {
        "demand_id": demand.pk,
        "enterprise": demand.enterprise.name,
        "amount_yuan": str(demand.amount),
        **extra,
    }
