"""Password validators whose messages the Chinese-first UI can show in Chinese."""

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's minimum length rule, with the message Django used before 5.2 ("... %(min_length)d characters.").

    Django 5.2 reworded it ("... %d characters.") and its Chinese catalogue does not translate the new wording yet,
    so the sign-up page showed that one rule in English; the earlier wording is translated there (and any catalogue
    of the project's own may translate it too, since it is extracted from here).
    """

    def get_error_message(self):
        return ngettext(
            "This password is too short. It must contain at least %(min_length)d character.",
            "This password is too short. It must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}
