"""Forms every app's pages share: SME sign-up, money entered in 万元, and mapping service errors onto forms."""

from decimal import Decimal

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from xinyidai.errors import DomainError
from xinyidai.models import User
from xinyidai.validators import PlainTextFormMixin
from xinyidai.widgets import speed_up_selects

YUAN_PER_WAN = Decimal(10000)
CENT = Decimal("0.01")

mobile_validator = RegexValidator(
    r"^1[3-9]\d{9}$", _("Enter an 11-digit mainland mobile number, e.g. 13800138000."), code="mobile"
)


class WanYuanField(forms.DecimalField):
    """A money amount typed in 万元 (10k yuan) and cleaned to yuan, a Decimal with 2 places.

    Six decimals in 万元 are exactly the cents of a yuan amount, so no value is ever rounded. Initial
    values are given in yuan (as stored) and shown in 万元.
    """

    def __init__(self, *, max_wan: Decimal | None = Decimal("99999999"), **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 6)
        kwargs.setdefault("min_value", Decimal("0"))
        if max_wan is not None:
            kwargs.setdefault("max_value", max_wan)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        # Bound data arrives as the text the user typed (already 万元); initial values are yuan Decimals.
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            return (Decimal(value) / YUAN_PER_WAN).normalize()
        return value

    def clean(self, value):
        wan = super().clean(value)
        if wan is None:
            return None
        return (wan * YUAN_PER_WAN).quantize(CENT)


class SignupForm(PlainTextFormMixin, UserCreationForm):
    """SME self sign-up: username, full name, mobile phone and the password twice (validators apply)."""

    full_name = forms.CharField(label=_("Full name"), max_length=64)
    phone = forms.CharField(label=_("Mobile phone"), max_length=11, validators=[mobile_validator])

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "full_name", "phone")

    def save(self, commit=True):
        user = super().save(commit=False)
        user.role = User.Role.SME
        if commit:
            user.save()
        return user


def form_add_domain_error(form: forms.Form, error: DomainError, *, field_map: dict | None = None) -> None:
    """Put a service's DomainError on `form`: each `detail` entry naming a form field becomes that field's error.

    Anything that names no field (and a detail that is not field -> messages) becomes a form-wide error
    carrying the error's message, so the user always sees why nothing was saved.
    """
    field_map = field_map or {}
    placed = False
    detail = error.detail if isinstance(error.detail, dict) else {}
    for key, messages in detail.items():
        name = field_map.get(key, key)
        if name in form.fields and isinstance(messages, list | tuple):
            for message in messages:
                form.add_error(name, str(message))
            placed = True
    if not placed:
        form.add_error(None, str(error.message))


def filter_form(filterset):
    """The FilterSet's form, with widgets suited to a page (the FilterSets themselves are shared with the API).

    Multiple-choice selects become checkboxes (easier on a phone), dates get the browser's date picker, a
    yes/no filter reads "Any" rather than "Unknown" when unset, and sorting gets Bootstrap's select look.
    """
    form = filterset.form
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.SelectMultiple) and not isinstance(widget, forms.CheckboxSelectMultiple):
            field.widget = forms.CheckboxSelectMultiple(choices=field.choices)
        elif isinstance(widget, forms.DateInput):
            widget.input_type, widget.format = "date", "%Y-%m-%d"
        elif isinstance(widget, forms.NullBooleanSelect):
            widget.choices = [("unknown", _("Any")), ("true", _("Yes")), ("false", _("No"))]
        elif isinstance(widget, forms.Select) and type(widget) not in (forms.Select, forms.NullBooleanSelect):
            widget.attrs.setdefault("class", "form-select")  # e.g. django-filter's CSV select for sorting
    speed_up_selects(form)
    return form
