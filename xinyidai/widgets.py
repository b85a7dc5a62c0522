"""A select widget rendered in Python rather than through one template include per option.

Django renders each <option> through its own template; a filter bar with a few dozen options then cost
tens of milliseconds a page (measured with cProfile on the product supermarket). The HTML is the same.
"""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django_filters import fields as filter_fields


def _options(options) -> str:
    return format_html_join(
        "", '<option value="{}"{}>{}</option>', ((o["value"], flatatt(o["attrs"]), o["label"]) for o in options)
    )


class FastSelect(forms.Select):
    """forms.Select with the same markup, built without per-option template renders."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = []
        for group_name, options, _index in widget["optgroups"]:
            rendered = _options(options)
            if group_name:
                rendered = format_html('<optgroup label="{}">{}</optgroup>', group_name, rendered)
            parts.append((rendered,))
        body = format_html_join("", "{}", parts)  # each part is already escaped (safe) HTML
        return format_html('<select name="{}"{}>{}</select>', widget["name"], flatatt(widget["attrs"]), body)


class ListModelChoiceIterator(forms.models.ModelChoiceIterator):
    """Reads the choices with one plain query. Django's iterator uses QuerySet.iterator(), which on
    PostgreSQL opens a server-side cursor (DECLARE, FETCH, CLOSE: three round trips) for a few hundred
    reference rows on every page that shows the select. Keeps django-filter's "null" option first."""

    def __iter__(self):
        null_label = getattr(self.field, "null_label", None)
        if null_label is not None and isinstance(self, filter_fields.ModelChoiceIterator):
            yield (self.field.null_value, null_label)
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in list(self.queryset):
            yield self.choice(obj)


def _list_iterator(iterator_class):
    if issubclass(iterator_class, ListModelChoiceIterator) or not issubclass(
        iterator_class, forms.models.ModelChoiceIterator
    ):
        return iterator_class
    return type(f"List{iterator_class.__name__}", (ListModelChoiceIterator, iterator_class), {})


def speed_up_selects(form) -> None:
    """Swap every plain single select of `form` for FastSelect (same choices, attributes and markup)."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            field.iterator = _list_iterator(field.iterator)
            field.widget.choices = field.choices
        if type(field.widget) is forms.Select:
            widget = FastSelect(attrs=field.widget.attrs, choices=field.widget.choices)
            widget.is_required = field.widget.is_required
            field.widget = widget
