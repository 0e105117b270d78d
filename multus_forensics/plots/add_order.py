"""Interface add order: one lane per sandbox attempt, interfaces in the order Multus added them.

Each box is one interface coloured by the network it came from. A failed attempt ends in a dashed
red box for the step that failed, labelled with the innermost error; when that interface name was
already added earlier in the same attempt, a red arc joins the two. A default interface added
again by the Multus config itself (the ``self_delegation_reentry`` anomaly) gets the reserved
colour, a heavy outline and a "Multus re-entry" tag, so the self-delegation triplet stands out
from a plain duplicate-name request, where the colliding name comes from another attachment.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from multus_forensics.lazyre import lazy
from multus_forensics.plots._common import (
    FAIL_COLOR,
    REENTRY_COLOR,
    network_colors,
    new_axes,
    text_color,
    wrap,
)

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes

    from multus_forensics.timeline import Timelines


#: a Multus layer that only names the pod or attachment (``[ns/pod/uid:net]: ``, ``Multus: [...]``)
_IDENTITY: Final = lazy(r"^(?:Multus: )?\[")


@dataclass(frozen=True)
class Step:
    """One interface added in an attempt (a row of ``Timelines.interfaces()``)."""

    position: int
    interface: str
    network: str
    ips: str | None
    ref: str
    reentry: bool = False


@dataclass(frozen=True)
class Lane:
    """One sandbox attempt of one pod, as drawn: its steps, outcome and failing step."""

    pod: str
    attempt: int
    outcome: str
    sandbox_id: str | None
    steps: tuple[Step, ...]
    order_known: bool
    failed_interface: str | None = None
    failed_network: str | None = None
    error: str | None = None
    #: position of the earlier step that added the name the failing step collides with
    collides_with: int | None = None

    @property
    def label(self) -> str:
        sandbox = f" · {self.sandbox_id[:12]}" if self.sandbox_id else ""
        return f"{self.pod}\nattempt {self.attempt} · {self.outcome}{sandbox}"


def innermost_error(layers_json: str | None, fallback: str | None) -> str | None:
    """The failure in its own words: the chain's leaf with the plugin / IPAM layers right above
    it (``failed to lookup master "eth1": Link not found``), or the Multus stage that failed
    (``error waiting for pod: Unauthorized``). Multus function prefixes (``DelegateAdd: ...``)
    and identity prefixes (``[ns/pod/uid:net]: ...``) are wrappers, not the error."""
    if not layers_json:
        return fallback
    parts: list[str] = []
    for layer in reversed(json.loads(layers_json)):
        kind, text = layer["kind"], layer["text"]
        if kind in ("leaf", "plugin", "ipam"):
            parts.insert(0, text)
        elif kind == "multus-func":
            continue
        elif kind == "multus" and len(parts) == 1 and not _IDENTITY.match(text):
            parts.insert(0, text)
        else:
            break
    return "".join(parts).strip() or fallback


def _pod_label(namespace: str | None, pod: str | None) -> str:
    return f"{namespace}/{pod}" if namespace else str(pod)


def add_order_lanes(timelines: Timelines, pod: str | None = None) -> list[Lane]:
    """The lanes :func:`plot_add_order` draws, pods in timeline order, attempts by number."""
    selected = timelines.select(pod)
    attempts = timelines.attempts_of(selected).to_dicts()
    steps: dict[tuple[Any, ...], list[Step]] = {}
    for r in timelines.interfaces_of(selected).to_dicts():
        key = (r["namespace"], r["pod"], r["pod_uid"], r["attempt"])
        steps.setdefault(key, []).append(
            Step(r["position"], r["interface"] or "?", r["network"] or "?", r["ips"], r["ref"])
        )
    reentry: set[tuple[Any, ...]] = set()
    for r in timelines.anomalies_of(selected).to_dicts():
        if r["anomaly"] == "self_delegation_reentry" and r["evidence"]:
            # evidence is (first interface, secondaries..., the re-added interface)
            last = r["evidence"].split("; ")[-1]
            reentry.add((r["namespace"], r["pod"], r["pod_uid"], r["attempt"], last))
    lanes = []
    for r in attempts:
        key = (r["namespace"], r["pod"], r["pod_uid"], r["attempt"])
        own = sorted(steps.get(key, []), key=lambda s: s.position)
        own = [
            Step(s.position, s.interface, s.network, s.ips, s.ref, (*key, s.ref) in reentry)
            for s in own
        ]
        failed = r["outcome"] == "failed"
        name = r["error_interface"] if failed else None
        earlier = [s.position for s in own if name is not None and s.interface == name]
        lanes.append(
            Lane(
                pod=_pod_label(r["namespace"], r["pod"]),
                attempt=r["attempt"],
                outcome=r["outcome"] or "unknown",
                sandbox_id=r["sandbox_id"],
                steps=tuple(own),
                order_known=bool(r["add_order_known"]),
                failed_interface=name,
                failed_network=r["error_network"] if failed else None,
                error=innermost_error(r["error_layers"], r["error_leaf"] or r["error"])
                if failed
                else None,
                collides_with=earlier[-1] if earlier else None,
            )
        )
    return lanes


def plot_add_order(
    timelines: Timelines,
    *,
    pod: str | None = None,
    max_lanes: int = 12,
    ax: Axes | None = None,
) -> Axes:
    """Draw the interface add order of each attempt of ``pod`` (all pods when ``None``).

    At most ``max_lanes`` lanes are drawn (the title says how many were left out). Returns the
    Axes; never calls ``show()``.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyBboxPatch, Patch

    lanes = add_order_lanes(timelines, pod)
    shown = lanes[:max_lanes]
    width = max((max(len(lane.steps), 1) + (lane.outcome == "failed") for lane in shown), default=1)
    ax = new_axes(ax, (2.5 + 1.45 * width + 3.2, 1.2 + 0.85 * max(len(shown), 1)))
    reentry_nets = {s.network for lane in shown for s in lane.steps if s.reentry}
    colors = network_colors({s.network for lane in shown for s in lane.steps}, reentry_nets)
    short = short_names([*colors, *(lane.failed_network or "" for lane in shown)])
    for i, lane in enumerate(shown):
        y = -float(i)
        for s in lane.steps:
            box = FancyBboxPatch(
                (s.position - 0.42, y - 0.28), 0.84, 0.56,
                boxstyle="round,pad=0.02", facecolor=colors[s.network],
                edgecolor="black" if s.reentry else "white", linewidth=2.6 if s.reentry else 1.0,
                gid="reentry" if s.reentry else "step",
            )  # fmt: skip
            # the limits are set below, so a box need not widen the data limits one by one
            # (add_patch's per-patch update was a fifth of a wide figure); one update follows
            ax.add_artist(box)
            ax.text(
                s.position, y, f"{_fit(s.interface)}\n{short[s.network]}",
                ha="center", va="center", fontsize=7, color=text_color(colors[s.network]),
                gid="step-label",
            )  # fmt: skip
            if s.reentry:
                ax.text(
                    s.position, y + 0.34, "↺ Multus re-entry", ha="center", va="bottom",
                    fontsize=7, color=REENTRY_COLOR, fontweight="bold", gid="reentry-label",
                )  # fmt: skip
        end = len(lane.steps) + 1
        unknown = not lane.order_known and not lane.steps
        if unknown and lane.outcome != "failed":
            ax.text(
                0.6, y, "add order unknown (no Multus Add: lines or AddedInterface events)",
                ha="left", va="center", fontsize=8, color="0.45", style="italic", gid="unknown",
            )  # fmt: skip
        if unknown and lane.outcome == "failed":  # the failure is known, what came before not
            ax.text(1, y, "add order\nunknown", ha="center", va="center", fontsize=7,
                    color="0.45", style="italic", gid="unknown")  # fmt: skip
            end = 2
        if lane.outcome == "failed":
            _draw_failure(ax, lane, y, end, short)
        elif lane.outcome in ("ready", "torn-down") and lane.steps:
            ax.text(end - 0.45, y, f"✓ {lane.outcome}", ha="left", va="center", fontsize=8,
                    color="#2ca02c", gid="outcome")  # fmt: skip
    placed = [(-float(i), s.position) for i, lane in enumerate(shown) for s in lane.steps]
    if placed:  # the data limits add_patch gives the boxes (padded by 0.02 each side)
        ys, xs = zip(*placed, strict=True)
        ax.update_datalim([(min(xs) - 0.44, min(ys) - 0.3), (max(xs) + 0.44, max(ys) + 0.3)])
    ax.set_yticks([-float(i) for i in range(len(shown))], [lane.label for lane in shown])
    ax.tick_params(axis="y", labelsize=8, length=0)
    ax.set_xticks(step_ticks(width))
    ax.set_xlim(0.4, width + 2.9)
    ax.set_ylim(-max(len(shown), 1) + 0.4, 0.8)
    ax.set_xlabel("add order within the sandbox attempt")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    title = "Interface add order" + (f": {pod}" if pod else "")
    if len(lanes) > len(shown):
        title += f" (first {len(shown)} of {len(lanes)} attempts)"
    ax.set_title(title, loc="left")
    if not shown:
        ax.text(0.5, 0.5, "no sandbox attempts", transform=ax.transAxes, ha="center", va="center")
        return ax
    handles: list[Artist] = [
        Patch(facecolor=c, label=n if short[n] == n else f"{short[n]} = {n}")
        for n, c in sorted(colors.items())
    ]
    if any(lane.outcome == "failed" for lane in shown):
        handles.append(Patch(facecolor="white", edgecolor=FAIL_COLOR, linestyle="--",
                             linewidth=1.5, label="failing step"))  # fmt: skip
    if any(lane.collides_with is not None for lane in shown):
        handles.append(Line2D([], [], color=FAIL_COLOR, marker="<", markersize=5,
                              label="name already added earlier"))  # fmt: skip
    if reentry_nets:
        handles.append(Patch(facecolor=REENTRY_COLOR, edgecolor="black", linewidth=2.0,
                             label="default interface again from Multus"))  # fmt: skip
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
              frameon=False)  # fmt: skip
    return ax


#: characters of a name that fit a step's box at its font size
BOX_CHARS: Final = 12
#: add positions labelled on the x axis at most: past about this many the labels of a 10-inch
#: figure run into each other, and each tick is artists to make, lay out and draw
STEP_TICKS: Final = 40


def step_ticks(width: int) -> list[int]:
    """The x ticks of ``width`` add positions: every position up to :data:`STEP_TICKS`, else
    1 and every multiple of a round step (a Multus log whose attempts add 150 interfaces)."""
    if width <= STEP_TICKS:
        return list(range(1, width + 1))
    step = next(
        n * scale
        for scale in (10**e for e in range(len(str(width))))
        for n in (1, 2, 5)
        if width / (n * scale) <= STEP_TICKS // 2
    )
    return [1, *range(step, width + 1, step)]


def _fit(name: str, limit: int = BOX_CHARS) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def short_names(networks: Iterable[str]) -> dict[str, str]:
    """One box-sized name per network, the same in every lane: the NAD name without its
    namespace (``lab/macvlan-conf`` and the ``macvlan-conf`` an error names get the same
    one), cut to :data:`BOX_CHARS` with an ellipsis. The legend pairs it with the full name."""
    return {full: _fit(full.rpartition("/")[2] or full) for full in set(networks) - {""}}


def _draw_failure(ax: Axes, lane: Lane, y: float, x: float, short: dict[str, str]) -> None:
    """The failing step's dashed box at ``x``, its innermost error, the arc to a collision."""
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(
        FancyBboxPatch(
            (x - 0.42, y - 0.28), 0.84, 0.56, boxstyle="round,pad=0.02", facecolor="white",
            edgecolor=FAIL_COLOR, linestyle="--", linewidth=1.6, gid="failure",
        )
    )  # fmt: skip
    name = _fit(lane.failed_interface or "ADD", BOX_CHARS - 2)
    network = short[lane.failed_network] if lane.failed_network else "failed"
    ax.text(x, y, f"✗ {name}\n{network}", ha="center", va="center", fontsize=7,
            color=FAIL_COLOR, fontweight="bold", gid="failure-label")  # fmt: skip
    if lane.error:
        ax.text(x + 0.55, y, wrap(lane.error, 42), ha="left", va="center", fontsize=7.5,
                color=FAIL_COLOR, gid="error")  # fmt: skip
    if lane.collides_with is not None:
        ax.annotate(
            "", xy=(lane.collides_with, y - 0.3), xytext=(x, y - 0.3),
            arrowprops={"arrowstyle": "->", "color": FAIL_COLOR, "linewidth": 1.2,
                        "connectionstyle": "arc3,rad=-0.1", "shrinkA": 2, "shrinkB": 2},
            gid="collision",
        )  # fmt: skip
