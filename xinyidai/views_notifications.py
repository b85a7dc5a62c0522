"""The notification centre: the list, opening one (marks it read, then follows its link), mark all read, and
the navbar badge htmx refreshes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from xinyidai.notifications import is_local_path
from xinyidai.selectors import notification_list as select_notifications
from xinyidai.selectors import notifications_with_text
from xinyidai.services.notifications import notification_mark_read, notifications_mark_all_read
from xinyidai.views import paginate

HTMX_STOP_POLLING = 286


@login_required
@require_safe
def notification_list(request):
    """The user's notifications, newest first, unread ones highlighted; `?unread=1` shows only those."""
    unread = request.GET.get("unread") == "1"
    page_obj = paginate(request, select_notifications(user=request.user, unread=unread))
    page_obj.object_list = notifications_with_text(page_obj.object_list)
    return render(request, "xinyidai/notification_list.html", {"page_obj": page_obj, "unread_only": unread})


@login_required
@require_safe
def notification_open(request, pk: int):
    """Mark the user's own notification read and go where it points (a local path only; else back to the list)."""
    notification = notification_mark_read(notification_id=pk, user=request.user)
    if notification.url and is_local_path(notification.url):
        return redirect(notification.url)
    return redirect("notification_list")


@login_required
@require_POST
def notifications_read_all(request):
    count = notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("notification_list")


@require_safe
def notification_badge(request):
    """The navbar's bell with its unread count, for htmx to refresh every minute. Once the session has ended it
    answers 286, htmx's "stop polling", rather than a redirect whose login page htmx would swap into the navbar."""
    if not request.user.is_authenticated:
        return HttpResponse(status=HTMX_STOP_POLLING)
    return render(request, "xinyidai/_notification_badge.html")
