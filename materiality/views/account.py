"""The signed-in user's own account: personal API tokens (create, see, revoke).

Any signed-in user may keep tokens, whatever their role: a token signs in as its owner
and can do exactly what the owner can. The secret is shown once, in the answer to the
POST that created it (never stored, never redirected through the session), so a reload
or the back button cannot bring it back.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from materiality.access_tokens import (
    MAX_ACTIVE_TOKENS,
    TokenLimitReached,
    api_token_create,
    api_token_revoke,
    api_tokens_of,
)
from materiality.models import ApiToken
from surveys.fields import PlainTextField


class ApiTokenForm(forms.Form):
    name = PlainTextField(
        label=gettext_lazy("Name"),
        max_length=80,
        help_text=gettext_lazy("What the token is for, e.g. “Power BI refresh”."),
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = api_token_create(user=request.user, name=form.cleaned_data["name"])
        except TokenLimitReached:
            form.add_error(
                None,
                _("You have %(count)d active tokens, the most allowed. Revoke one first.")
                % {"count": MAX_ACTIVE_TOKENS},
            )
        else:
            context = {"token": issued.token, "secret": issued.secret}
            return render(request, "materiality/account_token_created.html", context)
    context = {"form": form, "tokens": api_tokens_of(request.user)}
    return render(request, "materiality/account_tokens.html", context)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    # Scoped to the owner: another user's token is "not found", never revoked.
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if api_token_revoke(token=token):
        messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    else:
        messages.info(request, _("Token “%(name)s” was revoked already.") % {"name": token.name})
    return redirect("materiality:account-tokens")
