"""Pages: an investigator's treatment-period entry and sign-off."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
