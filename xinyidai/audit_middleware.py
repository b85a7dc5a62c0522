"""Makes the request being served known to xinyidai.services.audit, which records the client's address."""

from xinyidai.services.audit import current_request


class AuditRequestMiddleware:
    """Sets the audit trail's current request for the duration of the view (and resets it after)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)
