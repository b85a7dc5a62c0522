from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class XinyidaiConfig(AppConfig):
    name = "xinyidai"
    verbose_name = _("Platform core")

    def ready(self):
        from xinyidai import audit_signals, checks, session_expiry  # noqa: F401 (checks registers on import)

        audit_signals.connect()
        session_expiry.connect()
