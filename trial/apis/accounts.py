"""API: authentication, the signed-in user, sites and protocol versions."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trial.access import acting_user
from trial.apis.common import error_responses
from trial.models import (
    ProtocolVersion,
    Site,
    User,
)
from trial.permissions import Action

# --- authentication and the signed-in user -----------------------------------------------------


class TokenObtainApi(ObtainAuthToken):
    """Exchange a username and password for the API token of that user."""

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()

        class Meta:
            ref_name = "Token"

    @extend_schema(
        tags=["auth"],
        request=AuthTokenSerializer,
        responses={200: OutputSerializer, **error_responses(400)},
        auth=[],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)


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

    @extend_schema(tags=["auth"], responses={200: OutputSerializer, **error_responses(403)})
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

    @extend_schema(
        tags=["sites"], responses={200: SiteOutputSerializer(many=True), **error_responses(403)}
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class SiteDetailApi(APIView):
    @extend_schema(
        tags=["sites"], responses={200: SiteOutputSerializer, **error_responses(403, 404)}
    )
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

    @extend_schema(
        tags=["sites"], responses={200: OutputSerializer(many=True), **error_responses(403)}
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
