"""Token authentication for banks' systems: POST username + password, get a token for `Authorization: Token`."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.response import Response

from xinyidai.api.views import ApiView
from xinyidai.errors import DomainError
from xinyidai.lockout import LOCKED_OUT, cooloff_seconds, lockout_message
from xinyidai.ratelimits import TOKEN_LIMITS, limited_api
from xinyidai.services.audit import Action, audit_record
from xinyidai.validators import PlainTextSerializerMixin


class TokenObtainInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})

    class Meta:
        ref_name = "TokenObtain"


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")

    class Meta:
        ref_name = "Token"


class TokenObtainView(ApiView):
    """Exchange a username and password for the user's API token (the same token on every call)."""

    authentication_classes = []  # a stale token or session must not stand in the way of logging in
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="auth_token_obtain",
        tags=["auth"],
        request=TokenObtainInputSerializer,
        responses={200: TokenOutputSerializer},
        auth=[],
    )
    @limited_api(*TOKEN_LIMITS)
    def post(self, request):
        serializer = TokenObtainInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request=request._request, **serializer.validated_data)
        if getattr(request._request, "axes_locked_out", False):
            # django-axes counted the failure (or refused a locked-out pair): 429 in the error format, the same
            # body AxesMiddleware's lockout answer (xinyidai.lockout) gives.
            raise DomainError(
                code=LOCKED_OUT,
                message=lockout_message(),
                detail={"retry_after_seconds": cooloff_seconds()},
                status=429,
            )
        if user is None:
            raise DomainError(
                code="invalid_credentials",
                message=_("Unable to log in with the provided username and password."),
                status=400,
            )
        token, _created = Token.objects.get_or_create(user=user)
        # Not a session login (no user_logged_in signal): recorded here.
        audit_record(action=Action.LOGIN, actor=user, request=request._request, obj=user, data={"via": "api_token"})
        return Response(TokenOutputSerializer({"token": token.key}).data)
