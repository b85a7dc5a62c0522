"""Template context every page gets."""

from django.utils.functional import SimpleLazyObject


def notifications(request) -> dict:
    """`unread_notifications` for the navbar badge of a logged-in user: counted (one query) only if a template
    shows it, so that htmx partials and pages without the navbar pay nothing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from xinyidai.selectors import unread_notification_count

    return {"unread_notifications": SimpleLazyObject(lambda: unread_notification_count(user=user))}
