"""Role checks for API actions.

Objects are fetched through their model's visibility method first (outside one's scope -> 404); only a
caller who can see the object but has the wrong role gets 403, so a 403 never reveals that something exists.
"""

from django.utils.translation import gettext_lazy as _

from xinyidai.errors import DomainError

ROLE_MESSAGES = {
    "sme": _("Only enterprise users can do this."),
    "officer": _("Only bank officers can do this."),
}


def require_role(user, role: str) -> None:
    """Raise 403 `forbidden` unless the user has `role` ("sme" or "officer")."""
    if getattr(user, "role", None) != role:
        raise DomainError(code="forbidden", message=ROLE_MESSAGES[role], status=403)
