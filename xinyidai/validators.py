"""Plain-text input: free-text fields of forms and API input serializers refuse markup and unreadable bytes.

Pages escape everything they print, so markup in a text field is not an injection here; it is refused anyway
because the same text leaves the platform in PDFs, CSV/XLSX exports, emails and banks' systems, where nobody
escapes it for us. One mechanism covers every free-text field: `PlainTextFormMixin` on a form and
`PlainTextSerializerMixin` on an input serializer add `no_markup` to each of their text fields (passwords,
choices and JSON fields excepted), so a new field is covered without anyone remembering to.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

# `<` followed by a letter, `/`, `!` or `?` opens a tag, a closing tag, a comment/doctype or a processing
# instruction; "a < b" and "<5 years" stay allowed. `javascript:` may hide behind spaces or entities' leftovers.
MARKUP = re.compile(r"<[A-Za-z/!?]|j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t\s*:", re.IGNORECASE)
# U+FFFD is what a non-UTF-8 byte in a form field decodes to: the text the user meant is lost.
UNREADABLE = "\ufffd"


@deconstructible
class NoMarkupValidator:
    """Refuse HTML/XML markup, `javascript:` URLs and undecodable characters in a free-text value."""

    markup_message = _("Plain text only: remove the HTML tags or script (text starting with “<” or “javascript:”).")
    encoding_message = _("This text contains characters that could not be read; send it in UTF-8.")

    def __call__(self, value) -> None:
        if not isinstance(value, str):
            return
        if MARKUP.search(value):
            raise ValidationError(self.markup_message, code="markup")
        if UNREADABLE in value:
            raise ValidationError(self.encoding_message, code="encoding")

    def __eq__(self, other) -> bool:
        return isinstance(other, NoMarkupValidator)


no_markup = NoMarkupValidator()


def _is_free_text_form_field(field: forms.Field) -> bool:
    return (
        isinstance(field, forms.CharField)
        and not isinstance(field, forms.JSONField)
        and not isinstance(field.widget, forms.PasswordInput)
    )


def _add_no_markup(field) -> None:
    if no_markup not in field.validators:
        field.validators.append(no_markup)


class PlainTextFormMixin:
    """A form whose free-text fields refuse markup (each form instance has its own copy of its fields)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if _is_free_text_form_field(field):
                _add_no_markup(field)


def _is_free_text_serializer_field(field: serializers.Field) -> bool:
    return isinstance(field, serializers.CharField) and field.style.get("input_type") != "password"


class PlainTextSerializerMixin:
    """An input serializer whose free-text fields (and lists of them) refuse markup."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            target = field.child if isinstance(field, serializers.ListField) else field
            if _is_free_text_serializer_field(target):
                _add_no_markup(target)
        return fields
