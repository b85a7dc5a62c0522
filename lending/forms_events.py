"""Forms for the matchmaking event pages: they validate shape only; lending.services.events enforces the rules."""

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from creditinfo.models import EnterpriseTag, Evaluation, SizeClass
from creditinfo.uscc import uscc_clean, validate_uscc
from lending.models import EventParticipant, IntentDropReason, MatchmakingEvent
from lending.services.events import CRITERIA_INVITE_LIMIT
from xinyidai.forms import WanYuanField
from xinyidai.models import Industry, Institution, Region
from xinyidai.validators import PlainTextFormMixin

DATETIME_WIDGET = {"widget": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")}
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
SPLIT = re.compile(r"[\s,;，；、]+")
MAX_LISTED = 2000  # codes pasted into one invitation


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}"


class InstitutionMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.region.name})"


def regions_under(region: Region):
    return Region.objects.filter(region.subtree_q("")).order_by("code")


class EventForm(PlainTextFormMixin, forms.Form):
    """An event's details; the region is the staff member's own or one below it."""

    title = forms.CharField(label=_("Title"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=MatchmakingEvent.Kind.choices)
    starts_at = forms.DateTimeField(label=_("Starts at"), input_formats=DATETIME_FORMATS, **DATETIME_WIDGET)
    ends_at = forms.DateTimeField(label=_("Ends at"), input_formats=DATETIME_FORMATS, **DATETIME_WIDGET)
    region = RegionChoiceField(label=_("Region"), queryset=Region.objects.none(), empty_label=None)
    place = forms.CharField(
        label=_("Place"), max_length=200, required=False, help_text=_("Address, or the meeting link.")
    )
    theme = forms.CharField(label=_("Theme"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    theme_industries = forms.ModelMultipleChoiceField(
        label=_("Theme industries"),
        queryset=Industry.objects.filter(level=Industry.Level.SECTION).order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    open_registration = forms.BooleanField(
        label=_("Open registration: enterprises of the region may register without an invitation"),
        required=False,
        initial=True,
    )
    capacity = forms.IntegerField(
        label=_("Capacity (enterprises)"),
        min_value=1,
        max_value=1_000_000,
        required=False,
        help_text=_("Leave empty for no limit."),
    )

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_under(staff.region)
        self.fields["region"].initial = staff.region_id

    @staticmethod
    def initial_for(event: MatchmakingEvent) -> dict:
        initial = {name: getattr(event, name) for name in EventForm.base_fields if name != "theme_industries"}
        initial["theme_industries"] = list(event.theme_industries.all())
        return initial


def _valid_uscc(code: str) -> bool:
    try:
        validate_uscc(code)
    except ValidationError:
        return False
    return True


def _codes(text: str) -> list[str]:
    return [code for code in SPLIT.split(text.strip().upper()) if code]


class InviteForm(PlainTextFormMixin, forms.Form):
    """Invite by hand: enterprises by their USCC, institutions from those serving the event's region."""

    usccs = forms.CharField(
        label=_("Enterprises (USCC)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "91410105MA...\n91410100..."}),
        help_text=_("One unified social credit code per line (or separated by commas)."),
    )
    institutions = InstitutionMultipleChoiceField(
        label=_("Institutions"),
        queryset=Institution.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args, institutions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institutions"].queryset = institutions.select_related("region").order_by("code")

    def clean_usccs(self):
        codes = list(dict.fromkeys(_codes(self.cleaned_data["usccs"])))
        if len(codes) > MAX_LISTED:
            raise forms.ValidationError(_("Paste at most %(max)d codes at a time.") % {"max": MAX_LISTED})
        invalid = [code for code in codes if not _valid_uscc(code)]
        if invalid:
            raise forms.ValidationError(
                _("Not valid unified social credit codes: %(codes)s") % {"codes": ", ".join(invalid[:10])}
            )
        return codes

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("usccs") and not data.get("institutions"):
            raise forms.ValidationError(_("Give at least one enterprise or institution to invite."))
        return data


class CriteriaInviteForm(PlainTextFormMixin, forms.Form):
    """Invite every enterprise of a region that matches the criteria (e.g. the no-loan list of one city)."""

    region = RegionChoiceField(label=_("Region"), queryset=Region.objects.none(), empty_label=None)
    section_codes = forms.ModelMultipleChoiceField(
        label=_("Industry sections"),
        queryset=Industry.objects.filter(level=Industry.Level.SECTION).order_by("code"),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for every industry."),
    )
    size_classes = forms.MultipleChoiceField(
        label=_("Size classes"), choices=SizeClass.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    tags = forms.ModelMultipleChoiceField(
        label=_("Qualifications (any of)"),
        queryset=EnterpriseTag.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    min_grade = forms.ChoiceField(
        label=_("Minimum credit grade"),
        choices=[("", _("Any grade")), *Evaluation.Grade.choices],
        required=False,
    )
    no_loan_only = forms.BooleanField(
        label=_("Only enterprises without any loan on the platform (first-loan candidates)"), required=False
    )
    limit = forms.IntegerField(
        label=_("At most"), min_value=1, max_value=CRITERIA_INVITE_LIMIT, initial=1000, help_text=_("enterprises")
    )

    def __init__(self, *args, event: MatchmakingEvent, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_under(event.region)
        self.fields["region"].initial = event.region_id

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "region_id": data["region"].pk,
            "section_codes": [industry.code for industry in data["section_codes"]],
            "size_classes": data["size_classes"],
            "tag_ids": [tag.pk for tag in data["tags"]],
            "min_grade": data["min_grade"],
            "no_loan_only": data["no_loan_only"],
            "limit": data["limit"],
        }


class IntentForm(PlainTextFormMixin, forms.Form):
    """An intent signed at the event: the enterprise by its USCC, an institution taking part, an amount."""

    enterprise_uscc = forms.CharField(label=_("Enterprise (USCC)"), max_length=20)
    institution = forms.ModelChoiceField(label=_("Institution"), queryset=Institution.objects.none())
    amount = WanYuanField(label=_("Intended amount (10k yuan)"), min_value=Decimal("0.000001"))
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, event: MatchmakingEvent, user, **kwargs):
        super().__init__(*args, **kwargs)
        taking_part = EventParticipant.objects.filter(
            event=event, institution__isnull=False, status__in=["invited", "registered", "attended"]
        ).values("institution_id")
        choices = Institution.objects.filter(
            Q(pk__in=taking_part) | Q(parent__in=taking_part) | Q(parent__parent__in=taking_part)
        )
        if user.is_officer:
            choices = choices.filter(user.institution.subtree_q(""))
        self.fields["institution"].queryset = choices.order_by("code")

    def clean_enterprise_uscc(self):
        code = uscc_clean(self.cleaned_data["enterprise_uscc"]).upper()
        validate_uscc(code)
        return code


class NoteForm(PlainTextFormMixin, forms.Form):
    note = forms.CharField(label=_("Note (optional)"), max_length=500, required=False)


class ApplicationLinkForm(PlainTextFormMixin, forms.Form):
    application_number = forms.CharField(label=_("Application number"), max_length=24)

    def clean_application_number(self):
        return self.cleaned_data["application_number"].strip().upper()


class DropForm(PlainTextFormMixin, forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", "---------"), *IntentDropReason.choices])
    note = forms.CharField(label=_("Note (optional)"), max_length=500, required=False)
