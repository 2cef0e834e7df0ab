"""API: sites, screening, eligibility, consent, baseline, enrolment, history."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
