"""Where each topic label goes, and how it wraps: pure geometry in display pixels, no
matplotlib.

The matrix measures every label (and its wrapped and smaller variants) with the renderer,
turns markers and other fixed texts into boxes, and asks :func:`place_labels` for one
position per point such that

* no two labels overlap, or come nearer each other than LABEL_GAP_PT (side by side) or
  LABEL_LINE_GAP_PT (one above the other), so that two labels never read as one,
* no label overlaps any marker, its own included,
* no label leaves the plotting area,
* no label covers a leader line, and no leader line crosses a marker or another label.

The search is greedy and deterministic. The most crowded points choose first. Each point
tries, in this order until one tier has a free spot:

1. next to its marker — 8 directions at 3 growing distances, with small slides along
   each side — in each text variant (one line, two lines);
2. further away, anywhere on a grid over the plotting area, joined to the marker by a
   leader line that crosses no marker and no label;
3. and 4. the same two with a smaller font;
5. moving one of the nearest labels already placed, if both then find a free spot;
6. as a last resort, the spot that overlaps least (never reached in the tests).

Within a tier candidates are ranked by a cost: distance from the marker, a preference for
the right, left and upper sides, wrapping, slides, ambiguity (another marker nearer the
label than its own), crossing threshold lines, confidence-interval whiskers or other
leaders, and how many still-unplaced points' natural label slots the candidate would take
away. A second pass then revisits every leader-line label in case the final layout freed
a spot next to its marker.

Why one module of this size: the placer (`_Placer`) is one search whose candidates,
costs and rip-up share their state; the box geometry it calls is in `boxes.py`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from materiality.plots.boxes import (
    BoolArray,
    Box,
    FloatArray,
    HAlign,
    VAlign,
    aligned_box,
    boxes_overlap,
    distance_to_boxes,
    pad_boxes,
    segments_cross,
    segments_hit_boxes,
)
from materiality.plots.fonts import contains_cjk

__all__ = [
    "LABEL_GAP_PT",
    "LABEL_LINE_GAP_PT",
    "LabelVariant",
    "Placement",
    "labels_apart",
    "place_labels",
    "wrap_label",
]


@dataclass(frozen=True, slots=True)
class LabelVariant:
    """One way to set a label: its text (maybe wrapped), font size and measured size."""

    text: str
    fontsize: float  # points
    width: float  # pixels
    height: float  # pixels
    penalty: float  # cost of choosing this variant over the plain one, in points
    reduced: bool = False  # a smaller font: tried only when the normal size fits nowhere


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a label went. The text is anchored at (x, y) with the given alignment."""

    variant: LabelVariant
    x: float
    y: float
    ha: HAlign
    va: VAlign
    box: Box  # the text's extent, unpadded
    leader: bool  # joined to its marker by a leader line
    forced: bool = False  # no free spot existed; this one overlaps something


# Side of the marker (unit vector), text alignment there, preference cost (points).
_DIRECTIONS: tuple[tuple[int, int, HAlign, VAlign, float], ...] = (
    (1, 0, "left", "center", 0.0),  # E
    (-1, 0, "right", "center", 0.6),  # W
    (0, 1, "center", "bottom", 1.0),  # N
    (1, 1, "left", "bottom", 1.2),  # NE
    (0, -1, "center", "top", 1.4),  # S
    (-1, 1, "right", "bottom", 1.6),  # NW
    (1, -1, "left", "top", 1.8),  # SE
    (-1, -1, "right", "top", 2.2),  # SW
)
_GAPS_PT = (2.5, 5.0, 8.0)  # label distance from the marker's edge, near candidates
_SLIDES = (0.0, 1 / 3, -1 / 3)  # fraction of the label's size, along the side
_SLIDE_COST = 0.8
_LEADER_BASE_COST = 15.0
_LEADER_COST_PER_PT = 0.4
_LEADER_CROSSING_COST = 10.0
_AMBIGUITY_COST = 3.0
_LINE_COST = 1.5  # default cost of a label crossing a soft line
_LOOKAHEAD_COST = 1.0
_RIP_UP_TRIES = 8  # labels a boxed-in point may try to move out of its way
_LABEL_PAD_PT = 1.0  # kept free between a label and a marker or another fixed box
# Between two labels: side by side, about an em of an 8 pt label, three times a word space,
# so that "Risk management" and "Compliance management" on one line never read as one
# phrase; one above the other, on top of the line spacing the measured boxes include, so
# that two stacked labels do not read as one label wrapped onto two lines. Two labels are
# apart when either gap holds.
LABEL_GAP_PT = 6.0
LABEL_LINE_GAP_PT = 3.0
_MARKER_PAD_PT = 1.0  # and around every marker


@dataclass(slots=True)
class _Candidates:
    boxes: FloatArray  # (K, 4) unpadded text boxes
    anchors: FloatArray  # (K, 2)
    ha: list[HAlign]
    va: list[VAlign]
    cost: FloatArray  # (K,)
    leader: bool


def place_labels(
    centres: FloatArray,
    marker_boxes: FloatArray,
    variants: Sequence[Sequence[LabelVariant]],
    area: Box,
    *,
    px_per_pt: float,
    obstacles: FloatArray | None = None,
    soft_segments: FloatArray | None = None,
    soft_costs: FloatArray | None = None,
) -> list[Placement | None]:
    """Place one label per point; None for a point without variants (not labelled).

    centres: (N, 2) marker centres; marker_boxes: (N, 4) marker extents; variants: per
    point, the ways to set its label (plain first); area: where labels must stay;
    obstacles: (M, 4) other boxes labels must avoid (e.g. the zone caption);
    soft_segments: (S, 4) lines labels should rather not cross (CI whiskers, threshold
    lines) and soft_costs: (S,) what crossing each costs (default: 1.5 points' worth).
    """
    n = len(centres)
    placer = _Placer(
        centres=np.asarray(centres, dtype=float).reshape(n, 2),
        markers=pad_boxes(
            np.asarray(marker_boxes, dtype=float).reshape(n, 4), _MARKER_PAD_PT * px_per_pt
        ),
        variants=variants,
        area=area,
        px_per_pt=px_per_pt,
        obstacles=np.zeros((0, 4)) if obstacles is None else np.asarray(obstacles, float),
        soft_segments=np.zeros((0, 4))
        if soft_segments is None
        else np.asarray(soft_segments, float),
        soft_costs=soft_costs,
    )
    return placer.run()


class _Placer:
    def __init__(
        self,
        *,
        centres: FloatArray,
        markers: FloatArray,
        variants: Sequence[Sequence[LabelVariant]],
        area: Box,
        px_per_pt: float,
        obstacles: FloatArray,
        soft_segments: FloatArray,
        soft_costs: FloatArray | None,
    ) -> None:
        self.centres = centres
        self.markers = markers
        self.variants = variants
        self.area = area
        self.pt = px_per_pt
        self.obstacles = obstacles.reshape(-1, 4)
        self.soft_segments = soft_segments.reshape(-1, 4)
        self.soft_costs = (
            np.full(len(self.soft_segments), _LINE_COST)
            if soft_costs is None
            else np.asarray(soft_costs, dtype=float).reshape(len(self.soft_segments))
        )
        self.pad = _LABEL_PAD_PT * px_per_pt
        # Half of each label-to-label gap goes round each of the two labels.
        gap_x, gap_y = LABEL_GAP_PT * px_per_pt / 2, LABEL_LINE_GAP_PT * px_per_pt / 2
        self.half_gap = np.array([-gap_x, -gap_y, gap_x, gap_y])
        n = len(centres)
        self.placements: list[Placement | None] = [None] * n
        self.unplaced = np.array([bool(v) for v in variants], dtype=bool)
        # Marker half-extents (padded) around each centre, for candidate anchors.
        self.half = (
            np.stack(
                [
                    np.maximum(centres[:, 0] - markers[:, 0], markers[:, 2] - centres[:, 0]),
                    np.maximum(centres[:, 1] - markers[:, 1], markers[:, 3] - centres[:, 1]),
                ],
                axis=1,
            )
            if n
            else np.zeros((0, 2))
        )
        # The slot each point would naturally take (right or left of it, narrowest
        # variant), used to discourage other labels from taking it first.
        self.slots = np.zeros((n, 4))
        for i, options in enumerate(variants):
            if options:
                w = min(v.width for v in options if not v.reduced) * 0.6
                h = min(v.height for v in options if not v.reduced)
                cx, cy = centres[i]
                hx, hy = self.half[i]
                self.slots[i] = (cx - hx - w, cy - hy - h / 2, cx + hx + w, cy + hy + h / 2)

    # -- the greedy loop ------------------------------------------------------------------
    def run(self) -> list[Placement | None]:
        for i in self._order():
            self.unplaced[i] = False
            placement = self._best(i) or self._rip_up(i)
            self.placements[i] = placement or self._forced(i, self.variants[i])
        # Second pass: a leader label may now find room beside its marker.
        for i in self._order():
            current = self.placements[i]
            if current is None or not (current.leader or current.forced):
                continue
            self.placements[i] = None
            better = self._best(i, near_only=True)
            self.placements[i] = better if better is not None else current
        return self.placements

    def _order(self) -> list[int]:
        """Most crowded first: many neighbours within six label heights, then closeness."""
        n = len(self.centres)
        if n == 0:
            return []
        heights = [min(v.height for v in opts) for opts in self.variants if opts]
        radius = 6.0 * (float(np.median(heights)) if heights else 12.0)
        d = np.hypot(*(self.centres[:, None, :] - self.centres[None, :, :]).transpose(2, 0, 1))
        np.fill_diagonal(d, np.inf)
        crowd = (d < radius).sum(axis=1) + (1.0 / (1.0 + d)).sum(axis=1)
        return sorted((i for i in range(n) if self.variants[i]), key=lambda i: (-crowd[i], i))

    def _best(self, i: int, *, near_only: bool = False) -> Placement | None:
        options = self.variants[i]
        if not options:
            return None
        normal = [v for v in options if not v.reduced]
        reduced = [v for v in options if v.reduced]
        tiers: list[tuple[list[LabelVariant], bool]] = [(normal, False)]
        if not near_only:
            tiers.append((normal, True))
        if reduced:
            tiers.append((reduced, False))
            if not near_only:
                tiers.append((reduced, True))
        for tier_variants, far in tiers:
            found = self._search(i, tier_variants, far=far)
            if found is not None:
                return found
        return None

    def _rip_up(self, i: int) -> Placement | None:
        """Point i is boxed in: move one nearby label out of the way if that frees it.

        Tries the placed labels nearest to the marker first; a swap is kept only when
        both labels then find a free spot.
        """
        placed = [(k, p.box) for k, p in enumerate(self.placements) if p is not None]
        if not placed:
            return None
        boxes = np.array([box for _, box in placed])
        nearest = np.argsort(distance_to_boxes(self.centres[i], boxes), kind="stable")
        for k in (placed[int(j)][0] for j in nearest[:_RIP_UP_TRIES]):
            saved = self.placements[k]
            self.placements[k] = None
            mine = self._best(i)
            if mine is not None:
                self.placements[i] = mine
                theirs = self._best(k)
                if theirs is not None:
                    self.placements[k] = theirs
                    return mine
                self.placements[i] = None
            self.placements[k] = saved
        return None

    # -- candidates -----------------------------------------------------------------------
    def _near(self, i: int, variant: LabelVariant) -> _Candidates:
        cx, cy = self.centres[i]
        hx, hy = self.half[i]
        w, h = variant.width, variant.height
        boxes, anchors, has, vas, costs = [], [], [], [], []
        for gap_index, gap_pt in enumerate(_GAPS_PT):
            gap = gap_pt * self.pt
            for ux, uy, ha, va, pref in _DIRECTIONS:
                diagonal = ux != 0 and uy != 0
                for slide in (0.0,) if diagonal else _SLIDES:
                    ax = cx + ux * (hx + gap) + (slide * w if ux == 0 else 0.0)
                    ay = cy + uy * (hy + gap) + (slide * h if uy == 0 else 0.0)
                    box = aligned_box(ax, ay, w, h, ha, va)
                    boxes.append(box)
                    anchors.append((ax, ay))
                    has.append(ha)
                    vas.append(va)
                    costs.append(
                        pref + gap_index * 1.5 + (_SLIDE_COST if slide else 0.0) + variant.penalty
                    )
        return _Candidates(
            boxes=np.array(boxes),
            anchors=np.array(anchors),
            ha=has,
            va=vas,
            cost=np.array(costs),
            leader=False,
        )

    def _far(self, i: int, variant: LabelVariant) -> _Candidates:
        x0, y0, x1, y1 = self.area
        w, h = variant.width, variant.height
        step_x = max(w / 10.0, 3.0 * self.pt)
        step_y = max(h / 3.0, 2.0 * self.pt)
        xs = np.arange(x0 + w / 2 + self.pad, x1 - w / 2 - self.pad, step_x)
        ys = np.arange(y0 + h / 2 + self.pad, y1 - h / 2 - self.pad, step_y)
        if not len(xs) or not len(ys):
            return _empty(leader=True)
        gx, gy = np.meshgrid(xs, ys)
        anchors = np.stack([gx.ravel(), gy.ravel()], axis=1)
        boxes = np.column_stack(
            [
                anchors[:, 0] - w / 2,
                anchors[:, 1] - h / 2,
                anchors[:, 0] + w / 2,
                anchors[:, 1] + h / 2,
            ]
        )
        length = distance_to_boxes(self.centres[i], boxes) / self.pt
        cost = _LEADER_BASE_COST + _LEADER_COST_PER_PT * length + variant.penalty
        k = len(anchors)
        return _Candidates(
            boxes=boxes,
            anchors=anchors,
            ha=["center"] * k,
            va=["center"] * k,
            cost=cost,
            leader=True,
        )

    # -- scoring --------------------------------------------------------------------------
    def _search(self, i: int, variants: list[LabelVariant], *, far: bool) -> Placement | None:
        best: tuple[float, int, Placement] | None = None
        for order, variant in enumerate(variants):
            cands = self._far(i, variant) if far else self._near(i, variant)
            if not len(cands.boxes):
                continue
            ok = self._free(i, cands)
            if not ok.any():
                continue
            idx = np.flatnonzero(ok)
            cost = cands.cost[idx] + self._soft_cost(i, cands, idx)
            j = int(idx[int(np.argmin(cost))])
            value = float(cost.min())
            if best is None or (value, order) < (best[0], best[1]):
                best = (value, order, self._placement(variant, cands, j))
        return None if best is None else best[2]

    def _free(self, i: int, cands: _Candidates) -> BoolArray:
        """Which candidates break no hard rule."""
        padded = pad_boxes(cands.boxes, self.pad)
        x0, y0, x1, y1 = self.area
        ok: BoolArray = (
            (cands.boxes[:, 0] >= x0)
            & (cands.boxes[:, 1] >= y0)
            & (cands.boxes[:, 2] <= x1)
            & (cands.boxes[:, 3] <= y1)
        )
        placed = self._placed_boxes()
        for blockers in (self.markers, self.obstacles):
            if len(blockers):
                ok &= ~boxes_overlap(padded, blockers).any(axis=1)
        if len(placed):
            ok &= ~boxes_overlap(cands.boxes + self.half_gap, placed).any(axis=1)
        leaders = self._leader_segments()
        if len(leaders) and ok.any():
            idx = np.flatnonzero(ok)
            ok[idx] &= ~segments_hit_boxes(leaders, padded[idx]).any(axis=0)
        if cands.leader and ok.any():
            idx = np.flatnonzero(ok)
            segments = self._leader_from(i, cands.boxes[idx])
            others = np.delete(self.markers, i, axis=0)
            blockers = np.concatenate([others, pad_boxes(placed, self.pad), self.obstacles])
            if len(blockers):
                ok[idx] &= ~segments_hit_boxes(segments, blockers).any(axis=1)
        return ok

    def _soft_cost(self, i: int, cands: _Candidates, idx: npt.NDArray[np.intp]) -> FloatArray:
        boxes = cands.boxes[idx]
        cost = np.zeros(len(idx))
        if len(self.soft_segments):
            crossed = segments_hit_boxes(self.soft_segments, boxes)
            cost += self.soft_costs @ crossed
        waiting = np.flatnonzero(self.unplaced)
        waiting = waiting[waiting != i]
        if len(waiting):
            cost += _LOOKAHEAD_COST * boxes_overlap(boxes, self.slots[waiting]).sum(axis=1)
        if cands.leader:
            leaders = self._leader_segments()
            if len(leaders):
                crossings = segments_cross(self._leader_from(i, boxes), leaders)
                cost += _LEADER_CROSSING_COST * crossings.sum(axis=1)
        else:
            own = distance_to_boxes(self.centres[i], boxes)
            others = np.delete(self.centres, i, axis=0)
            if len(others):
                nearest = np.min([distance_to_boxes(c, boxes) for c in others], axis=0)
                cost += _AMBIGUITY_COST * (nearest < own)
        return cost

    def _forced(self, i: int, options: Sequence[LabelVariant]) -> Placement:
        """Nothing is free: take the near spot that overlaps the fewest things."""
        scored: list[tuple[float, int, Placement]] = []
        placed = self._placed_boxes()
        x0, y0, x1, y1 = self.area
        for order, variant in enumerate(options):
            cands = self._near(i, variant)
            padded = pad_boxes(cands.boxes, self.pad)
            hits = boxes_overlap(padded, self.markers).sum(axis=1).astype(float)
            if len(placed):
                hits += boxes_overlap(padded, placed).sum(axis=1)
            outside = (
                (cands.boxes[:, 0] < x0)
                | (cands.boxes[:, 1] < y0)
                | (cands.boxes[:, 2] > x1)
                | (cands.boxes[:, 3] > y1)
            )
            score = hits * 100 + outside * 1000 + cands.cost
            j = int(np.argmin(score))
            scored.append((float(score[j]), order, self._placement(variant, cands, j)))
        return dataclasses.replace(min(scored, key=lambda s: s[:2])[2], forced=True)

    # -- state ----------------------------------------------------------------------------
    def _placed_boxes(self) -> FloatArray:
        """The labels placed so far, each grown by half the gap kept between labels."""
        boxes = [p.box for p in self.placements if p is not None]
        return np.array(boxes, dtype=float).reshape(-1, 4) + self.half_gap

    def _leader_segments(self) -> FloatArray:
        segments = [
            (*self.centres[k], (p.box[0] + p.box[2]) / 2, (p.box[1] + p.box[3]) / 2)
            for k, p in enumerate(self.placements)
            if p is not None and p.leader
        ]
        return np.array(segments, dtype=float).reshape(-1, 4)

    def _leader_from(self, i: int, boxes: FloatArray) -> FloatArray:
        """Leader lines from marker i to the centre of each box."""
        cx, cy = self.centres[i]
        mid_x = (boxes[:, 0] + boxes[:, 2]) / 2
        mid_y = (boxes[:, 1] + boxes[:, 3]) / 2
        return np.column_stack([np.full(len(boxes), cx), np.full(len(boxes), cy), mid_x, mid_y])

    @staticmethod
    def _placement(variant: LabelVariant, cands: _Candidates, j: int) -> Placement:
        x0, y0, x1, y1 = (float(v) for v in cands.boxes[j])
        return Placement(
            variant=variant,
            x=float(cands.anchors[j, 0]),
            y=float(cands.anchors[j, 1]),
            ha=cands.ha[j],
            va=cands.va[j],
            box=(x0, y0, x1, y1),
            leader=cands.leader,
        )


def labels_apart(a: Box, b: Box, *, px_per_pt: float) -> bool:
    """Whether two label boxes keep the gap the placer keeps: LABEL_GAP_PT side by side,
    or LABEL_LINE_GAP_PT one above the other (a hundredth of a pixel of slack)."""
    gap_x = max(a[0] - b[2], b[0] - a[2])
    gap_y = max(a[1] - b[3], b[1] - a[3])
    slack = 0.01
    return (
        gap_x >= LABEL_GAP_PT * px_per_pt - slack or gap_y >= LABEL_LINE_GAP_PT * px_per_pt - slack
    )


# -- geometry helpers ---------------------------------------------------------------------
def _empty(*, leader: bool) -> _Candidates:
    return _Candidates(np.zeros((0, 4)), np.zeros((0, 2)), [], [], np.zeros(0), leader)


# Closing punctuation a CJK line must not start with: full-width comma, full stop, enumeration
# comma, semicolon, colon, question and exclamation marks, closing brackets and quotes.
_CJK_BREAK_AVOID = (
    "\uff0c\u3002\u3001\uff1b\uff1a\uff1f\uff01\uff09\u300b\u300d\u300f\u201d\u2019\u00b7"
)


def wrap_label(label: str) -> str | None:
    """The label on two balanced lines, or None when it is short or cannot be split.

    Latin text breaks at the space nearest the middle; CJK text (no spaces) between
    characters, never before closing punctuation.
    """
    if " " in label:
        if len(label) < 14:
            return None
        spaces = [i for i, char in enumerate(label) if char == " "]
        cut = min(spaces, key=lambda i: (max(i, len(label) - i - 1), i))
        return f"{label[:cut]}\n{label[cut + 1 :]}"
    if len(label) < 6 or not contains_cjk(label):
        return None
    cuts = [i for i in range(1, len(label)) if label[i] not in _CJK_BREAK_AVOID]
    if not cuts:
        return None
    cut = min(cuts, key=lambda i: (abs(len(label) - 2 * i), -i))
    return f"{label[:cut]}\n{label[cut:]}"
