from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditinfoConfig(AppConfig):
    name = "creditinfo"
    verbose_name = _("Credit information")
