"""Pages of data managers: cut-offs, exports, figures."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def analysis_home(request: HttpRequest) -> HttpResponse:
    return render(request, "followup/analysis/home.html")
