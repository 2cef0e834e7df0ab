"""API: authentication, the signed-in user, sites and protocol versions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, user_logged_in
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from knox.models import AuthToken
from knox.settings import knox_settings
from knox.views import LogoutAllView as KnoxLogoutAllView
from knox.views import LogoutView as KnoxLogoutView
from rest_framework import exceptions, generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trial.access import acting_user
from trial.api_auth import TokenAuthentication
from trial.models import (
    ProtocolVersion,
    Site,
    User,
)
from trial.permissions import Action

# --- authentication and the signed-in user -----------------------------------------------------


class TokenObtainApi(APIView):
    """Exchange a username and password for an API token that expires.

    Send it as `Authorization: Token <token>`. Failed attempts count towards the lockout of the
    username (README "API"): once locked out, even the right password gets 429."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    login_attempts_limited = True  # trial/api_schema.py documents the 429

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(
            max_length=4096, trim_whitespace=False, style={"input_type": "password"}
        )

        class Meta:
            ref_name = "TokenObtainInput"

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()
        expiry = serializers.DateTimeField(help_text="When the token stops working.")

        class Meta:
            ref_name = "Token"

    @extend_schema(
        tags=["auth"], request=InputSerializer, responses={200: OutputSerializer}, auth=[]
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The Django request: django-axes reads and flags it (AxesMiddleware answers 429).
        user = authenticate(request._request, **data.validated_data)
        if getattr(request._request, "axes_locked_out", False):
            raise LoginLockedOut()
        if user is None:
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Unable to log in with the username and password given.")]},
                code="authorization",
            )
        instance, token = AuthToken.objects.create(user=user, expiry=knox_settings.TOKEN_TTL)
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        # django-axes logs the login with a hash of the session key and creates a session to
        # have one; a token login has no session, so that empty one is dropped at once.
        request._request.session.flush()
        return Response(self.OutputSerializer({"token": token, "expiry": instance.expiry}).data)


class LoginLockedOut(exceptions.APIException):
    status_code = 429
    default_detail = gettext_lazy("Too many failed logins for this username; try again later.")
    default_code = "locked_out"


class TokenLogoutApi(KnoxLogoutView):
    """Revoke the token this request is authenticated with."""

    authentication_classes = [TokenAuthentication]

    @extend_schema(tags=["auth"], request=None, responses={204: None})
    def post(self, request: Request, format: Any = None) -> Response:
        return super().post(request, format)


class TokenLogoutAllApi(KnoxLogoutAllView):
    """Revoke every token of the signed-in user (all devices)."""

    authentication_classes = [TokenAuthentication]

    @extend_schema(tags=["auth"], request=None, responses={204: None})
    def post(self, request: Request, format: Any = None) -> Response:
        return super().post(request, format)


class MembershipSerializer(serializers.Serializer):
    role = serializers.CharField()
    role_label = serializers.CharField(source="get_role_display")
    site_code = serializers.CharField(source="site.code", allow_null=True, default=None)

    class Meta:
        ref_name = "Membership"


class MeApi(APIView):
    """The signed-in user, their roles and their sites."""

    class OutputSerializer(serializers.Serializer):
        username = serializers.CharField()
        full_name = serializers.CharField(source="get_full_name")
        roles = serializers.ListField(child=serializers.CharField(), source="role_labels")
        sites = serializers.ListField(child=serializers.CharField(), source="site_labels")
        memberships = MembershipSerializer(source="active_memberships", many=True)

        class Meta:
            ref_name = "Me"

    @extend_schema(tags=["auth"], responses={200: OutputSerializer})
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(acting_user(request)).data)


# --- configuration: sites and protocol versions ------------------------------------------------


class SiteOutputSerializer(serializers.ModelSerializer[Site]):
    class Meta:
        model = Site
        ref_name = "Site"
        fields = ["id", "code", "name", "active"]


def _sites_for(user: User) -> QuerySet[Site]:
    """The sites where the user holds a role (all of them for a trial-wide role)."""
    site_ids = user.site_ids_for(Action.VIEW)
    sites = Site.objects.order_by("code")
    return sites if site_ids is None else sites.filter(pk__in=site_ids)


class SiteListApi(generics.ListAPIView[Site]):
    """The sites where you hold a role (every site for a trial-wide role)."""

    queryset = Site.objects.none()
    serializer_class = SiteOutputSerializer
    filter_backends: list[type] = []

    def get_queryset(self) -> QuerySet[Site]:
        return _sites_for(acting_user(self.request))

    @extend_schema(tags=["sites"], responses={200: SiteOutputSerializer(many=True)})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class SiteDetailApi(APIView):
    @extend_schema(tags=["sites"], responses={200: SiteOutputSerializer})
    def get(self, request: Request, site_id: int) -> Response:
        site = get_object_or_404(_sites_for(acting_user(request)), pk=site_id)
        return Response(SiteOutputSerializer(site).data)


class CriterionOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.CharField()
    text = serializers.CharField()
    position = serializers.IntegerField()
    editable = serializers.BooleanField()

    class Meta:
        ref_name = "Criterion"


class ProtocolVersionListApi(generics.ListAPIView[ProtocolVersion]):
    """Protocol versions, oldest first, each with its eligibility criteria."""

    class OutputSerializer(serializers.ModelSerializer[ProtocolVersion]):
        criteria = serializers.SerializerMethodField()

        class Meta:
            model = ProtocolVersion
            ref_name = "ProtocolVersion"
            fields = ["id", "number", "effective_date", "description", "criteria"]

        @extend_schema_field(CriterionOutputSerializer(many=True))
        def get_criteria(self, version: ProtocolVersion) -> Any:
            ordered = sorted(version.criteria.all(), key=lambda c: (c.position, c.code))
            return CriterionOutputSerializer(ordered, many=True).data

    queryset = ProtocolVersion.objects.prefetch_related("criteria").order_by("effective_date")
    serializer_class = OutputSerializer
    filter_backends: list[type] = []

    @extend_schema(tags=["sites"], responses={200: OutputSerializer(many=True)})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
