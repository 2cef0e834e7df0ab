from django.urls import URLPattern, path

from followup.survival import views

urlpatterns: list[URLPattern] = [path("", views.analysis_home, name="analysis-home")]
