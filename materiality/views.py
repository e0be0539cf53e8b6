from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from materiality.roles import Role, has_role


def home(request: HttpRequest) -> HttpResponse:
    context = {
        "is_esg_team": has_role(request.user, Role.ESG_TEAM),
        "is_decision_group": has_role(request.user, Role.DECISION_GROUP),
    }
    return render(request, "materiality/home.html", context)
