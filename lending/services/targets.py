"""Government staff set targets for their region and the regions below it."""

import datetime
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from lending.models.targets import Target, TargetMetric
from xinyidai.errors import DomainError
from xinyidai.models import Region


def _invalid(field: str, message) -> DomainError:
    return DomainError(code="invalid", message=message, detail={field: [str(message)]}, status=400)


def target_create(
    *, user, metric: str, value: Decimal, deadline: datetime.date, region: Region, note: str = ""
) -> Target:
    """Staff add a target for their region or one below it; the value must be positive."""
    if not user.is_gov_staff:
        raise DomainError(code="forbidden", message=_("Only government staff set targets."), status=403)
    if metric not in TargetMetric.values:
        raise _invalid("metric", _("Unknown metric."))
    if value is None or value <= 0:
        raise _invalid("value", _("The target value must be greater than zero."))
    if not isinstance(deadline, datetime.date):
        raise _invalid("deadline", _("Enter a valid date."))
    if not Region.objects.filter(user.region.subtree_q(), pk=region.pk).exists():
        raise _invalid("region", _("You can only set targets for your region and the regions below it."))
    return Target.objects.create(
        metric=metric, value=value, deadline=deadline, region=region, note=note, created_by=user
    )
