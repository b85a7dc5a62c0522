"""FastSelect renders what Django's Select renders (modulo whitespace), and escapes labels."""

import re

from django import forms

from xinyidai.widgets import FastSelect


def _squash(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


CHOICES = [("", "---------"), ("04", "信用"), ("x", '<script>"a"</script>'), ("Group", [("g1", "一"), ("g2", "二")])]


def test_same_markup_as_django_select():
    for value in ["", "04", "g2", None]:
        attrs = {"class": "form-select", "id": "id_mode", "required": True, "disabled": False}
        slow = forms.Select(choices=CHOICES).render("mode", value, attrs=attrs)
        fast = FastSelect(choices=CHOICES).render("mode", value, attrs=attrs)
        assert _squash(fast) == _squash(slow)


def test_labels_are_escaped():
    html = FastSelect(choices=CHOICES).render("mode", "x")
    assert "<script>" not in html and "&lt;script&gt;" in html
