"""QR codes for survey links, as PNG (screens, print at 300 dpi) and SVG (vector print).

segno builds the codes in pure Python; error correction "Q" (25%) keeps a printed code
readable when a logo or a fold covers part of it.
"""

from __future__ import annotations

import io

import segno

FORMATS = {"png": "image/png", "svg": "image/svg+xml"}


def qr_code(url: str, fmt: str, *, scale: int = 10) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"Unknown QR code format: {fmt!r}")
    code = segno.make(url, error="q", micro=False)
    out = io.BytesIO()
    if fmt == "png":
        code.save(out, kind="png", scale=scale, border=4, dpi=300)
    else:
        code.save(out, kind="svg", scale=scale, border=4, xmldecl=True, svgclass="qr")
    return out.getvalue()
