"""Enterprise registration and updates."""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from creditinfo.models import Enterprise, EnterpriseMembership
from creditinfo.uscc import uscc_clean
from xinyidai.errors import DomainError


def _size_fields(*, industry, employees: int, revenue: Decimal, assets: Decimal) -> dict:
    from creditinfo.sizing_db import enterprise_size_class

    size_class, version = enterprise_size_class(industry=industry, employees=employees, revenue=revenue, assets=assets)
    return {"size_class": size_class, "size_standard_version": version}


@transaction.atomic
def enterprise_register(
    *,
    user,
    uscc: str,
    name: str,
    region,
    industry,
    employees: int,
    revenue: Decimal,
    assets: Decimal,
    legal_representative: str = "",
    address: str = "",
    contact_phone: str = "",
    tags=(),
) -> Enterprise:
    """An SME user registers (or claims a feed-created skeleton of) the enterprise they act for."""
    if not user.is_sme:
        raise DomainError(code="forbidden", message=_("Only enterprise users can register an enterprise."), status=403)
    if EnterpriseMembership.objects.filter(user=user).exists():
        raise DomainError(code="already_member", message=_("Your account already represents an enterprise."))
    uscc = uscc_clean(uscc)
    fields = {
        "name": name,
        "region": region,
        "industry": industry,
        "employees": employees,
        "revenue": revenue,
        "assets": assets,
        "legal_representative": legal_representative,
        "address": address,
        "contact_phone": contact_phone,
        **_size_fields(industry=industry, employees=employees, revenue=revenue, assets=assets),
    }
    enterprise = Enterprise.objects.select_for_update().filter(uscc=uscc).first()
    if enterprise is not None and (not enterprise.is_skeleton or enterprise.members.exists()):
        raise _already_claimed()
    try:
        with transaction.atomic():
            if enterprise is None:
                enterprise = Enterprise.objects.create(uscc=uscc, **fields)
            else:
                for key, value in fields.items():
                    setattr(enterprise, key, value)
                enterprise.is_skeleton = False
                enterprise.save()
    except IntegrityError:
        raise _already_claimed() from None
    enterprise.tags.set(tags)
    EnterpriseMembership.objects.create(user=user, enterprise=enterprise, is_owner=True)
    return enterprise


def _already_claimed() -> DomainError:
    return DomainError(
        code="uscc_taken",
        message=_("This unified social credit code is already registered by another account."),
        detail={"uscc": [str(_("This unified social credit code is already registered by another account."))]},
    )


@transaction.atomic
def enterprise_update(*, enterprise: Enterprise, user, **changes) -> Enterprise:
    """Update the editable registration fields; the size class follows the new figures."""
    if not enterprise.members.filter(user=user).exists():
        raise DomainError(code="forbidden", message=_("Only the enterprise's own users can edit it."), status=403)
    tags = changes.pop("tags", None)
    changes.pop("uscc", None)  # the code identifies the enterprise and never changes
    for key, value in changes.items():
        setattr(enterprise, key, value)
    enterprise.__dict__.update(
        _size_fields(
            industry=enterprise.industry,
            employees=enterprise.employees,
            revenue=enterprise.revenue,
            assets=enterprise.assets,
        )
    )
    enterprise.save()
    if tags is not None:
        enterprise.tags.set(tags)
    return enterprise


def enterprise_for_user(user) -> Enterprise | None:
    # The region and industry chains come along: eligibility walks them (county -> city -> province).
    membership = (
        EnterpriseMembership.objects.select_related(
            "enterprise__region__parent__parent", "enterprise__industry__parent__parent"
        )
        .filter(user=user)
        .first()
    )
    return membership.enterprise if membership else None
