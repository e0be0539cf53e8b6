"""DRF's browsable API under the site's Content-Security-Policy (no inline style).

Its "Filters" button and "Extra Actions" menu carry inline styles; they are left out.
The filters still work from the address bar, and every operation is in /api/docs/.
Its page says which language it is in (DRF's template has a bare <html>, outside any
block): screen readers read it with the right voice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import get_language
from rest_framework.renderers import BrowsableAPIRenderer


class BrowsableAPI(BrowsableAPIRenderer):
    def get_filter_form(self, data: Any, view: Any, request: Any) -> None:
        return None

    def get_extra_action_url_map(self, view: Any) -> dict[str, str]:
        return {}

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> Any:
        page = super().render(data, accepted_media_type, renderer_context)
        return page.replace("<html>", f'<html lang="{get_language()}">', 1)
