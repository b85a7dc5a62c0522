"""Reads of credit information for a named use, pre-joined and masked. No request or user in here: the
consent gate (creditinfo.services.queries.credit_query_open) runs before, in the view, the API or the report task.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from creditinfo.masking import mask_person_name, mask_text
from creditinfo.models import CreditRecord, Enterprise, Evaluation, QueryLog, RecordCategory

# The standardized profile's sections, in the order every rendering shows them (DOMAIN.md §3).
PROFILE_ORDER = (
    RecordCategory.REGISTRATION,
    RecordCategory.LICENCE,
    RecordCategory.PENALTY,
    RecordCategory.ABNORMAL_OPERATION,
    RecordCategory.SERIOUS_DISHONESTY,
    RecordCategory.JUDGMENT_DEBTOR,
    RecordCategory.TAX_GRADE,
    RecordCategory.SOCIAL_INSURANCE,
    RecordCategory.UTILITY,
    RecordCategory.HONOUR,
    RecordCategory.COMMITMENT,
    RecordCategory.INTELLECTUAL_PROPERTY,
)


@dataclass
class ProfileSection:
    """One category of the profile: its code, its label and its published records, newest first."""

    category: str
    label: str
    rows: list = field(default_factory=list)


@dataclass
class CreditProfile:
    """An enterprise's standardized credit profile on a day, with personal data masked."""

    enterprise: Enterprise
    as_of: datetime.date
    sections: list[ProfileSection]
    evaluation: Evaluation | None

    @property
    def record_count(self) -> int:
        return sum(len(section.rows) for section in self.sections)

    @property
    def legal_representative(self) -> str:
        return self.enterprise.legal_representative  # masked by credit_profile()

    def explained_factors(self) -> list[dict]:
        """The evaluation's factors, each with `text`: its explanation in the active language."""
        return explain_factors(self.evaluation)

    def explained_improvements(self) -> list[dict]:
        """What would raise the grade, each with `text` in the active language."""
        return explain_improvements(self.evaluation)


def _masked_params(item: dict) -> dict:
    """A factor or an advice with its text parameters masked (an advice quotes a record's title)."""
    params = {
        key: mask_text(value) if isinstance(value, str) else value for key, value in item.get("params", {}).items()
    }
    return {**item, "params": params}


def explain_factors(evaluation: Evaluation | None) -> list[dict]:
    """The factors of an evaluation with `text`, each explained in the active language (masked)."""
    if evaluation is None:
        return []
    from creditinfo.scoring import factor_text  # the pure scoring module, loaded on first use

    factors = [_masked_params(factor) for factor in evaluation.factors]
    return [{**factor, "text": str(factor_text(factor))} for factor in factors]


def explain_improvements(evaluation: Evaluation | None) -> list[dict]:
    """What would raise the grade, each advice with `text` in the active language (masked)."""
    if evaluation is None:
        return []
    from creditinfo.scoring import improvement_text

    items = [_masked_params(item) for item in evaluation.improvements]
    return [{**item, "text": str(improvement_text(item))} for item in items]


def published_records(*, enterprise_id: int, on: datetime.date | None = None) -> QuerySet:
    """The enterprise's records inside their publication window on `on`, with the source, in profile order
    within each category (newest decision first). Texts are NOT masked here: pass rows through mask_record()."""
    return (
        CreditRecord.objects.published(on)
        .filter(enterprise_id=enterprise_id)
        .select_related("source")
        .order_by("category", "-decision_date", "-id")
    )


def mask_record(record: CreditRecord) -> CreditRecord:
    """Mask the record's free texts in place and add the display facts (`is_disputed`, `as_of`).

    The instance is for reading only: saving it would store the masked text.
    """
    record.title = mask_text(record.title)
    record.detail = mask_text(record.detail)
    record.authority = mask_text(record.authority)
    record.is_disputed = record.status == CreditRecord.Status.DISPUTED
    # As-of: the day the source last sent (or confirmed) the record; the decision date is shown beside it.
    record.as_of = timezone.localdate(record.updated_at)
    return record


def credit_profile(*, enterprise_id: int, on: datetime.date | None = None) -> CreditProfile:
    """The standardized profile of an enterprise on `on` (default today): two queries, whatever the record count.

    Raises Enterprise.DoesNotExist for an unknown id; callers check consent before calling.
    """
    on = on or timezone.localdate()
    # The evaluation is a reverse one-to-one: select_related brings it in the same query.
    enterprise = Enterprise.objects.select_related("region__parent", "industry__parent", "evaluation").get(
        pk=enterprise_id
    )
    try:
        evaluation = enterprise.evaluation
    except Evaluation.DoesNotExist:
        evaluation = None
    enterprise.legal_representative = mask_person_name(enterprise.legal_representative)
    by_category: dict[str, list] = {code: [] for code in PROFILE_ORDER}
    for record in published_records(enterprise_id=enterprise_id, on=on):
        by_category.setdefault(record.category, []).append(mask_record(record))
    sections = [ProfileSection(category=code, label=code.label, rows=by_category[code]) for code in PROFILE_ORDER]
    return CreditProfile(enterprise=enterprise, as_of=on, sections=sections, evaluation=evaluation)


def query_log_for_enterprise(*, enterprise_id: int) -> QuerySet:
    """The enterprise's own query log, newest first, with who asked and for which institution."""
    return (
        QueryLog.objects.filter(enterprise_id=enterprise_id)
        .select_related("user", "institution", "authorization")
        .order_by("-created_at", "-id")
    )


def query_log_for(*, user) -> QuerySet:
    """Query-log rows a user may list: an SME its enterprise's; an officer its institution tree's own queries;
    nobody else (staff see aggregates; admins use the Django admin)."""
    rows = QueryLog.objects.select_related("enterprise", "user", "institution").order_by("-created_at", "-id")
    if not user.is_authenticated:
        return rows.none()
    if user.is_sme:
        return rows.filter(enterprise__members__user=user)
    if user.is_officer and user.institution_id:
        return rows.filter(user.institution.subtree_q("institution"))
    return rows.none()
