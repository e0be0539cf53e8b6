"""The screens every page test runs on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Screen:
    """A browser window; a mobile one has touch and zooms like a phone."""

    name: str
    width: int
    height: int
    mobile: bool

    def context_options(self) -> dict[str, Any]:
        return {
            "viewport": {"width": self.width, "height": self.height},
            "is_mobile": self.mobile,
            "has_touch": self.mobile,
            "device_scale_factor": 2 if self.mobile else 1,
        }


DESKTOP = Screen("desktop", 1280, 800, mobile=False)
MOBILE = Screen("mobile-360", 360, 740, mobile=True)
