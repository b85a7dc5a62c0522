"""Unified social credit code (GB 32100-2015) helpers on top of python-stdnum."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc as stdnum_uscc

# Organization-code alphabet of GB 32100 (no I, O, Z, S, V).
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc_clean(value: str) -> str:
    return stdnum_uscc.compact(value or "")


def validate_uscc(value: str) -> None:
    """Django validator: a clear, translated message for each kind of wrong code."""
    try:
        stdnum_uscc.validate(value)
    except stdnum_uscc.InvalidLength:
        raise ValidationError(_("A unified social credit code has 18 characters."), code="uscc_length") from None
    except stdnum_uscc.InvalidChecksum:
        raise ValidationError(
            _("The check character (the 18th) does not match; please check the code."), code="uscc_checksum"
        ) from None
    except stdnum_uscc.ValidationError:
        raise ValidationError(
            _("This is not a valid unified social credit code (digits and capital letters except I, O, Z, S, V)."),
            code="uscc_format",
        ) from None


def uscc_division(value: str) -> str:
    """The six-digit GB/T 2260 division of the registering authority (positions 3-8)."""
    return value[2:8]


def uscc_build(*, division: str, serial: int, prefix: str = "91") -> str:
    """A valid USCC for a division and a serial number (for generated data and tests)."""
    org = ""
    n = serial
    for _i in range(8):
        org = ALPHABET[n % 31] + org
        n //= 31
    org += ALPHABET[(serial * 7) % 10]
    body = f"{prefix}{division}{org}"
    return body + stdnum_uscc.calc_check_digit(body)
