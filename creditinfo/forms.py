"""Enterprise registration and editing forms, with grouped region and industry selects."""

from collections import defaultdict

from django import forms
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import gettext_lazy as _

from creditinfo.models import Authorization, EnterpriseTag
from creditinfo.uscc import uscc_clean, uscc_division, validate_uscc
from xinyidai.forms import WanYuanField
from xinyidai.models import Industry, Institution, Region
from xinyidai.validators import PlainTextFormMixin


class GroupedChoices(BaseChoiceIterator):
    """Lazy (label, [(value, label), ...]) groups for a Select: runs its query when rendered, not at import."""

    def __init__(self, field, build):
        self.field, self.build = field, build

    def __iter__(self):
        yield "", self.field.empty_label
        yield from self.build(list(self.field.queryset))


class GroupedModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField rendered with <optgroup>s; validation still goes through the queryset."""

    def group(self, objects: list) -> list:
        raise NotImplementedError

    def _get_choices(self):
        return GroupedChoices(self, self.group)

    choices = property(_get_choices, forms.ChoiceField.choices.fset)


class RegionChoiceField(GroupedModelChoiceField):
    """Henan's cities (each one selectable as a whole) with their counties beneath."""

    def __init__(self, **kwargs):
        levels = [Region.Level.CITY, Region.Level.COUNTY]
        super().__init__(queryset=Region.objects.filter(level__in=levels).order_by("code"), **kwargs)

    def group(self, regions):
        counties = defaultdict(list)
        for region in regions:
            if region.level == Region.Level.COUNTY:
                counties[region.parent_id].append((region.pk, region.name))
        return [
            (city.name, [(city.pk, _("%(city)s (city level)") % {"city": city.name}), *counties[city.pk]])
            for city in regions
            if city.level == Region.Level.CITY
        ]


class IndustryChoiceField(GroupedModelChoiceField):
    """GB/T 4754 divisions grouped by section; real estate (70) is split into its groups 701-709, which the
    size standard tells apart (development vs property management)."""

    def __init__(self, **kwargs):
        queryset = (
            Industry.objects.filter(Q(level=Industry.Level.DIVISION) | Q(level=Industry.Level.GROUP))
            .exclude(level=Industry.Level.DIVISION, children__isnull=False)
            .select_related("parent__parent")
            .order_by("code")
        )
        super().__init__(queryset=queryset, **kwargs)

    def group(self, industries):
        sections: dict[str, tuple[str, list]] = {}
        for industry in industries:
            section = industry.parent if industry.level == Industry.Level.DIVISION else industry.parent.parent
            label = f"{section.code} {section.name}"
            sections.setdefault(section.code, (label, []))[1].append((industry.pk, str(industry)))
        return [sections[code] for code in sorted(sections)]


def region_for_uscc(uscc: str) -> Region | None:
    """The region a USCC's registering authority sits in: its county if known, else its city (None outside Henan)."""
    code = uscc_clean(uscc).upper()
    if len(code) < 8:
        return None
    division = uscc_division(code)
    candidates = [division, f"{division[:4]}00"]
    found = {r.code: r for r in Region.objects.filter(code__in=candidates, level__in=["city", "county"])}
    return next((found[c] for c in candidates if c in found), None)


class EnterpriseEditForm(PlainTextFormMixin, forms.Form):
    """The editable registration facts; revenue and assets are typed in 万元 and stored in yuan."""

    name = forms.CharField(label=_("Enterprise name"), max_length=128)
    legal_representative = forms.CharField(label=_("Legal representative"), max_length=64, required=False)
    region = RegionChoiceField(
        label=_("Operating region"),
        empty_label=_("Choose a city or county"),
        help_text=_("Where the enterprise operates; it may differ from the registering authority in the code."),
    )
    industry = IndustryChoiceField(label=_("Industry (GB/T 4754 division)"), empty_label=_("Choose the main industry"))
    employees = forms.IntegerField(label=_("Employees (persons)"), min_value=0, max_value=10_000_000)
    revenue = WanYuanField(
        label=_("Operating revenue last year (10k yuan)"),
        help_text=_("In 万元 (10,000 yuan): enter 500 for 5,000,000 yuan."),
    )
    assets = WanYuanField(
        label=_("Total assets (10k yuan)"),
        help_text=_("In 万元 (10,000 yuan): enter 1200 for 12,000,000 yuan."),
    )
    tags = forms.ModelMultipleChoiceField(
        label=_("Qualifications"),
        queryset=EnterpriseTag.objects.order_by("code"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)


class EnterpriseRegisterForm(EnterpriseEditForm):
    """Registration: the USCC first; typing it pre-selects the region (htmx, creditinfo:region_hint)."""

    uscc = forms.CharField(
        label=_("Unified social credit code"),
        max_length=24,
        help_text=_("18 characters, as printed on the business licence."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "hx-get": reverse_lazy("creditinfo:region_hint"),
                "hx-trigger": "change, keyup changed delay:400ms",
                "hx-target": "#region-field",
                "hx-swap": "outerHTML",
                "hx-include": "#id_region",
            }
        ),
    )

    field_order = ["uscc", "name", "legal_representative", "region", "industry"]

    def clean_uscc(self):
        value = uscc_clean(self.cleaned_data["uscc"]).upper()
        validate_uscc(value)
        return value


class InstitutionChoiceField(GroupedModelChoiceField):
    """Active institutions grouped by head office: the head office first, then its branches."""

    def __init__(self, **kwargs):
        queryset = Institution.objects.filter(is_active=True).select_related("parent__parent").order_by("code")
        super().__init__(queryset=queryset, **kwargs)

    def group(self, institutions):
        groups: dict[int, tuple[str, list]] = {}
        for institution in sorted(institutions, key=lambda i: (i.parent_id is not None, i.code)):
            head = institution.parent or institution
            label, options = groups.setdefault(head.head_office.pk, (head.head_office.name, []))
            options.append((institution.pk, institution.name))
        return sorted(groups.values())


class AuthorizationGrantForm(PlainTextFormMixin, forms.Form):
    """An SME's consent to one institution (a head office or a branch) for a purpose and a number of days."""

    institution = InstitutionChoiceField(
        label=_("Institution"),
        empty_label=_("Choose a bank or one of its branches"),
        help_text=_("A head office's authorization also covers its branches; a branch's covers that branch only."),
    )
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Authorization.Purpose.choices)
    days = forms.IntegerField(
        label=_("Valid for (days)"), min_value=1, max_value=365, initial=90, help_text=_("Between 1 and 365 days.")
    )
    consent = forms.BooleanField(
        label=_("I have read the statement above and consent to it."),
        error_messages={"required": _("Tick the box to give your consent.")},
    )
