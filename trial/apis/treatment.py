"""API: treatment cycles, responses, adverse events, transplant, end of treatment, sign-off."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
