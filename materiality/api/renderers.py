"""DRF's browsable API under the site's Content-Security-Policy (no inline style).

Its "Filters" button and "Extra Actions" menu carry inline styles; they are left out.
The filters still work from the address bar, and every operation is in /api/docs/.
"""

from __future__ import annotations

from typing import Any

from rest_framework.renderers import BrowsableAPIRenderer


class BrowsableAPI(BrowsableAPIRenderer):
    def get_filter_form(self, data: Any, view: Any, request: Any) -> None:
        return None

    def get_extra_action_url_map(self, view: Any) -> dict[str, str]:
        return {}
