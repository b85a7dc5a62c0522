from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class XinyidaiConfig(AppConfig):
    name = "xinyidai"
    verbose_name = _("Platform core")
