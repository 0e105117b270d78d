"""Shared helpers of the plot functions: axes creation, colours, text wrapping.

matplotlib is imported inside the functions so that importing :mod:`multus_forensics.plots`
(and therefore ``multus_forensics``) stays cheap when nobody draws.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: outcome of a sandbox attempt -> bar colour (the vocabulary of ``Timelines.attempts()``)
OUTCOME_COLORS: Final = {
    "ready": "#2ca02c",
    "torn-down": "#8c8c8c",
    "failed": "#d62728",
    "unknown": "#c7c7c7",
}
#: colour reserved for a network that re-enters Multus itself (never given to another network)
REENTRY_COLOR: Final = "#b2182b"
FAIL_COLOR: Final = "#d62728"
# tab10 without its red and green, so a network box never reads as a failure or a success
_NETWORK_CYCLE: Final = (
    "#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#17becf",
    "#e377c2", "#7f7f7f", "#bcbd22", "#aec7e8", "#ffbb78",
)  # fmt: skip


def new_axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    """``ax`` itself, or the axes of a new figure of ``size`` inches (pyplot-managed, so a
    notebook shows it inline); never calls ``show()``."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def network_colors(networks: Iterable[str], reentry: Iterable[str] = ()) -> dict[str, str]:
    """A stable colour per network (sorted order), re-entry networks in the reserved colour."""
    special = set(reentry)
    colors = dict.fromkeys(special, REENTRY_COLOR)
    others = sorted(set(networks) - special)
    for i, name in enumerate(others):
        colors[name] = _NETWORK_CYCLE[i % len(_NETWORK_CYCLE)]
    return colors


def wrap(text: str, width: int, max_lines: int = 3) -> str:
    """``text`` wrapped to ``width`` columns, cut to ``max_lines`` with an ellipsis."""
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], textwrap.shorten(" ".join(lines[max_lines - 1 :]), width)]
    return "\n".join(lines)


def text_color(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (relative luminance)."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(background)
    return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.5 else "white"


def as_polars(frame: Any) -> Any:
    """A polars frame from a polars or pandas frame (the plots accept either)."""
    import polars as pl

    if isinstance(frame, pl.DataFrame):
        return frame
    return pl.from_pandas(frame)


def rows_of_pods(frame: Any, keys: Iterable[tuple[Any, Any, Any]]) -> list[dict[str, Any]]:
    """The rows of a timeline frame (``namespace``, ``pod``, ``pod_uid`` columns) of the pods
    ``keys``, in frame order: joined in polars, so a figure of one pod reads its own rows, not
    every attempt of a node as Python dicts."""
    import polars as pl

    ids = ("namespace", "pod", "pod_uid")
    wanted = pl.DataFrame(
        list(dict.fromkeys(keys)), schema=dict.fromkeys(ids, pl.String), orient="row"
    )
    mine = frame.join(wanted, on=list(ids), how="semi", nulls_equal=True, maintain_order="left")
    rows: list[dict[str, Any]] = mine.to_dicts()
    return rows


def date_num(t: datetime) -> float:
    """Matplotlib's float day number of an aware UTC datetime."""
    import matplotlib.dates as mdates

    return float(mdates.date2num(t))  # type: ignore[no-untyped-call]  # untyped in matplotlib


def date_axis(ax: Axes) -> None:
    """Concise UTC date ticks on the x axis."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]  # untyped in matplotlib
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]


def figure_png(ax: Axes, *, dpi: int = 100) -> bytes:
    """The figure holding ``ax`` as PNG bytes, then closed: for reports that embed figures
    (a figure left open in pyplot's registry would pile up over many pods)."""
    import io

    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    fig = ax.figure
    root = fig if isinstance(fig, Figure) else fig.figure  # a SubFigure closes with its root
    buf = io.BytesIO()
    root.savefig(buf, format="png", dpi=dpi)
    plt.close(root)
    return buf.getvalue()
