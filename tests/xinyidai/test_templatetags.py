"""The xyd template filters and tags: money in 元/万元/亿元, rates, query strings, widgets."""

from decimal import Decimal

import pytest
from django import forms
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation

from xinyidai.templatetags import xyd

# What the zh-hans catalog says for the unit msgids (see the xyd module docstring).
ZH_UNITS = {
    "%(value)s yuan": "%(value)s元",
    "%(value)s 10k yuan": "%(value)s万元",
    "%(value)s 100m yuan": "%(value)s亿元",
}


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def chinese_units(monkeypatch):
    """The Chinese unit strings, whether or not the compiled catalog is on this machine."""
    monkeypatch.setattr(xyd, "gettext", lambda msgid: ZH_UNITS.get(msgid, msgid))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("0"), "0.00 10k yuan"),
        (Decimal("1"), "0.00 10k yuan"),
        (Decimal("9999.99"), "1.00 10k yuan"),
        (Decimal("10000"), "1.00 10k yuan"),
        (Decimal("1234567.00"), "123.46 10k yuan"),
        (Decimal("123456789.01"), "12,345.68 10k yuan"),
        (Decimal("100000000"), "10,000.00 10k yuan"),
        (Decimal("-1234567"), "-123.46 10k yuan"),
    ],
)
def test_money_wan(english, value, expected):
    assert xyd.money_wan(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("0"), "0.00 10k yuan"),
        (Decimal("1"), "0.00 10k yuan"),
        (Decimal("9999.99"), "1.00 10k yuan"),
        (Decimal("10000"), "1.00 10k yuan"),
        (Decimal("99999999.99"), "10,000.00 10k yuan"),
        (Decimal("100000000"), "1.00 100m yuan"),
        (Decimal("123456789.01"), "1.23 100m yuan"),
        (Decimal("-100000000"), "-1.00 100m yuan"),
        (Decimal("-5000000"), "-500.00 10k yuan"),
    ],
)
def test_money_auto(english, value, expected):
    assert xyd.money_auto(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("0"), "0.00 yuan"),
        (Decimal("1"), "1.00 yuan"),
        (Decimal("9999.99"), "9,999.99 yuan"),
        (Decimal("10000"), "10,000.00 yuan"),
        (Decimal("1234567"), "1,234,567.00 yuan"),
        (Decimal("123456789.01"), "123,456,789.01 yuan"),
        (Decimal("100000000"), "100,000,000.00 yuan"),
        (Decimal("-1234.5"), "-1,234.50 yuan"),
    ],
)
def test_money_yuan(english, value, expected):
    assert xyd.money_yuan(value) == expected


def test_chinese_units(chinese_units):
    assert xyd.money_wan(Decimal("1234567.00")) == "123.46万元"
    assert xyd.money_auto(Decimal("123456789.01")) == "1.23亿元"
    assert xyd.money_auto(Decimal("5000000")) == "500.00万元"
    assert xyd.money_yuan(Decimal("1234567")) == "1,234,567.00元"
    assert xyd.money_wan(Decimal("-1234567")) == "-123.46万元"


@pytest.mark.parametrize("money_filter", [xyd.money_wan, xyd.money_auto, xyd.money_yuan, xyd.rate])
@pytest.mark.parametrize("value", [None, ""])
def test_empty_shows_dash(english, money_filter, value):
    assert money_filter(value) == "—"


def test_rounding_is_half_up(english):
    # Banker's rounding would give 0.00 / 0.02 / 1.00; float would drift on the .xx5 cases.
    assert xyd.money_yuan(Decimal("0.005")) == "0.01 yuan"
    assert xyd.money_yuan(Decimal("0.015")) == "0.02 yuan"
    assert xyd.money_yuan(Decimal("0.025")) == "0.03 yuan"
    assert xyd.money_yuan(Decimal("1.005")) == "1.01 yuan"  # float(1.005) is 1.00499999...
    assert xyd.money_yuan(Decimal("-0.005")) == "-0.01 yuan"
    assert xyd.money_wan(Decimal("50")) == "0.01 10k yuan"  # 0.005万
    assert xyd.money_wan(Decimal("49.99")) == "0.00 10k yuan"
    assert xyd.money_wan(Decimal("12345")) == "1.23 10k yuan"
    assert xyd.money_wan(Decimal("12350")) == "1.24 10k yuan"  # 1.235 -> 1.24
    assert xyd.money_auto(Decimal("123500000")) == "1.24 100m yuan"
    assert xyd.rate(Decimal("3.455")) == "3.46%"
    assert xyd.rate(Decimal("3.445")) == "3.45%"


def test_no_minus_zero(english):
    assert xyd.money_yuan(Decimal("-0.001")) == "0.00 yuan"
    assert xyd.money_wan(Decimal("-1")) == "0.00 10k yuan"
    assert xyd.money_wan(Decimal("-0")) == "0.00 10k yuan"


def test_decimal_int_and_str_agree(english):
    for value in (Decimal("123456789"), 123456789, "123456789", "123,456,789", " 123456789.00 "):
        assert xyd.money_wan(value) == "12,345.68 10k yuan"
        assert xyd.money_auto(value) == "1.23 100m yuan"
        assert xyd.money_yuan(value) == "123,456,789.00 yuan"


def test_exact_beyond_float_precision(english):
    # 17 significant digits and a half-cent: a float round trip would lose the last digits.
    assert xyd.money_yuan(Decimal("12345678901234567.895")) == "12,345,678,901,234,567.90 yuan"
    assert xyd.money_wan("12345678901234567.895") == "1,234,567,890,123.46 10k yuan"
    assert xyd.money_yuan(Decimal("1E+40")) == "10,000,000,000,000,000,000,000,000,000,000,000,000,000.00 yuan"
    assert xyd.money_yuan(10**30 + 1) == "1,000,000,000,000,000,000,000,000,000,001.00 yuan"


class NoFloatDecimal(Decimal):
    """A Decimal that fails the test if anything turns it into a float."""

    def __float__(self):
        raise AssertionError("money must never go through float")


def test_never_converts_to_float(english):
    value = NoFloatDecimal("123456789.015")
    assert xyd.money_yuan(value) == "123,456,789.02 yuan"
    assert xyd.money_wan(value) == "12,345.68 10k yuan"
    assert xyd.money_auto(value) == "1.23 100m yuan"
    assert xyd.rate(NoFloatDecimal("3.455")) == "3.46%"


def test_not_a_number_is_shown_as_is(english):
    assert xyd.money_wan("abc") == "abc"
    assert xyd.money_yuan(Decimal("NaN")) == "NaN"


@pytest.mark.parametrize(
    ("value", "args", "expected"),
    [
        (Decimal("3.45"), (), "3.45%"),
        (Decimal("3.4500"), (), "3.45%"),
        (Decimal("4"), (), "4.00%"),
        ("3.1", (), "3.10%"),
        (3, (), "3.00%"),
        (Decimal("3.125"), (3,), "3.125%"),
        (Decimal("3.125"), ("3",), "3.125%"),
        (Decimal("0"), (), "0.00%"),
    ],
)
def test_rate(value, args, expected):
    assert xyd.rate(value, *args) == expected


def test_filters_in_a_template(english):
    html = Template(
        "{% load xyd %}{{ amount|money_wan }}|{{ amount|money_auto }}|{{ amount|money_yuan }}"
        "|{{ r|rate }}|{{ none|money_wan }}"
    ).render(Context({"amount": Decimal("123456789.01"), "r": Decimal("3.45"), "none": None}))
    assert html == "12,345.68 10k yuan|1.23 100m yuan|123,456,789.01 yuan|3.45%|—"


def render_query_replace(tag_args: str, query: str) -> str:
    request = RequestFactory().get(f"/applications/?{query}" if query else "/applications/")
    return Template("{% load xyd %}{% query_replace " + tag_args + " %}").render(Context({"request": request}))


def test_query_replace_keeps_other_parameters():
    assert render_query_replace("page=3", "status=approved&q=%E9%83%91%E5%B7%9E&page=1") == (
        "status=approved&amp;q=%E9%83%91%E5%B7%9E&amp;page=3"
    )


def test_query_replace_adds_and_removes():
    assert render_query_replace("page=2", "") == "page=2"
    assert render_query_replace("page=2", "status=open") == "status=open&amp;page=2"
    assert render_query_replace('status=""', "status=open&page=4") == "page=4"
    assert render_query_replace("status=None", "status=open&page=4") == "page=4"


def test_query_replace_keeps_repeated_keys():
    # Multi-select filters send a key several times; only the replaced key collapses.
    assert render_query_replace("page=2", "region=1&region=2&page=1") == "region=1&amp;region=2&amp;page=2"


def test_query_replace_takes_variables_and_escapes():
    request = RequestFactory().get("/products/", {"q": "<b>&"})
    html = Template("{% load xyd %}{% query_replace page=n %}").render(Context({"request": request, "n": 7}))
    assert html == "q=%3Cb%3E%26&amp;page=7"


def test_query_replace_without_request():
    assert Template("{% load xyd %}{% query_replace page=2 %}").render(Context({})) == "page=2"


def test_status_color():
    assert xyd.status_color("approved") == "success"
    assert xyd.status_color("rejected") == "danger"
    assert xyd.status_color("something-new") == "secondary"


def test_nav_active():
    assert xyd.nav_active("/", "/")
    assert not xyd.nav_active("/products/", "/")
    assert xyd.nav_active("/applications/12/", "/applications/")
    assert not xyd.nav_active("/applications-archive/", "/applications")
    assert not xyd.nav_active("/loans/", "")


class SampleForm(forms.Form):
    name = forms.CharField(label="Name", help_text="Your name")
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")])
    agree = forms.BooleanField()
    size = forms.ChoiceField(choices=[("s", "Small"), ("m", "Medium")], widget=forms.RadioSelect)


def test_form_partial_renders_bootstrap_and_errors():
    from django.template.loader import render_to_string

    form = SampleForm(data={"kind": "a", "size": "x"})
    form.add_error(None, "Whole-form problem")
    html = render_to_string("partials/form.html", {"form": form})
    assert "Whole-form problem" in html
    assert 'class="form-control is-invalid"' in html
    assert 'class="form-select"' in html
    assert 'class="form-check-input is-invalid"' in html
    assert 'id="id_name_error"' in html and "invalid-feedback" in html
    assert 'aria-describedby="id_name_helptext id_name_error"' in html
    assert 'id="id_name_helptext"' in html
    assert 'type="radio" name="size" value="s" id="id_size_0"' in html
