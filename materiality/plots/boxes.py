"""Axis-aligned boxes and segments as numpy arrays (x0, y0, x1, y1): overlaps, distances
and crossings, for the label placer. Pure geometry, many boxes at once."""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in display pixels (y up)
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
HAlign = Literal["left", "right", "center"]
VAlign = Literal["bottom", "top", "center"]


def aligned_box(x: float, y: float, w: float, h: float, ha: HAlign, va: VAlign) -> Box:
    left = x if ha == "left" else x - w if ha == "right" else x - w / 2
    bottom = y if va == "bottom" else y - h if va == "top" else y - h / 2
    return (left, bottom, left + w, bottom + h)


def pad_boxes(boxes: FloatArray, pad: float) -> FloatArray:
    return boxes + np.array([-pad, -pad, pad, pad])


def boxes_overlap(a: FloatArray, b: FloatArray) -> BoolArray:
    """(len(a), len(b)) matrix: do the boxes overlap (touching edges do not)?"""
    return (
        (a[:, None, 0] < b[None, :, 2])
        & (a[:, None, 2] > b[None, :, 0])
        & (a[:, None, 1] < b[None, :, 3])
        & (a[:, None, 3] > b[None, :, 1])
    )


def distance_to_boxes(point: FloatArray, boxes: FloatArray) -> FloatArray:
    dx = np.maximum(np.maximum(boxes[:, 0] - point[0], point[0] - boxes[:, 2]), 0.0)
    dy = np.maximum(np.maximum(boxes[:, 1] - point[1], point[1] - boxes[:, 3]), 0.0)
    result: FloatArray = np.hypot(dx, dy)
    return result


def segments_hit_boxes(segments: FloatArray, boxes: FloatArray) -> BoolArray:
    """(len(segments), len(boxes)) matrix: does the segment pass through the box?

    Liang-Barsky clipping, vectorised.
    """
    x0 = segments[:, 0, None]
    y0 = segments[:, 1, None]
    dx = segments[:, 2, None] - x0
    dy = segments[:, 3, None] - y0
    t_in = np.zeros((len(segments), len(boxes)))
    t_out = np.ones((len(segments), len(boxes)))
    hit = np.ones((len(segments), len(boxes)), dtype=bool)
    for p, q in (
        (-dx, x0 - boxes[None, :, 0]),
        (dx, boxes[None, :, 2] - x0),
        (-dy, y0 - boxes[None, :, 1]),
        (dy, boxes[None, :, 3] - y0),
    ):
        p = np.broadcast_to(p, t_in.shape)
        q = np.broadcast_to(q, t_in.shape)
        parallel = p == 0
        hit &= ~(parallel & (q < 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(parallel, 0.0, q / np.where(parallel, 1.0, p))
        t_in = np.where(~parallel & (p < 0), np.maximum(t_in, r), t_in)
        t_out = np.where(~parallel & (p > 0), np.minimum(t_out, r), t_out)
    result: BoolArray = hit & (t_in < t_out)
    return result


def segments_cross(a: FloatArray, b: FloatArray) -> BoolArray:
    """(len(a), len(b)) matrix: do the segments properly cross each other?"""

    def orient(
        px: FloatArray,
        py: FloatArray,
        qx: FloatArray,
        qy: FloatArray,
        rx: FloatArray,
        ry: FloatArray,
    ) -> FloatArray:
        value: FloatArray = np.sign((qx - px) * (ry - py) - (qy - py) * (rx - px))
        return value

    ax0, ay0, ax1, ay1 = (a[:, k, None] for k in range(4))
    bx0, by0, bx1, by1 = (b[None, :, k] for k in range(4))
    d1 = orient(ax0, ay0, ax1, ay1, bx0, by0)
    d2 = orient(ax0, ay0, ax1, ay1, bx1, by1)
    d3 = orient(bx0, by0, bx1, by1, ax0, ay0)
    d4 = orient(bx0, by0, bx1, by1, ax1, ay1)
    result: BoolArray = (d1 * d2 < 0) & (d3 * d4 < 0)
    return result
