"""The chart image of the Word report, drawn in a helper process started early.

matplotlib takes about a second to import, most of `baocao run`'s start-up. The check runs
on one core; a second process imports matplotlib meanwhile and draws the chart when asked,
so the import costs no wall time on a machine with two cores. Any failure of the helper
falls back to drawing in this process.
"""

from __future__ import annotations

import io
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from collections.abc import Callable
from typing import Any

from pipeline.model.vocab import Status

STATUS_COLOURS = ((Status.DONE, "#70AD47"), (Status.IN_PROGRESS, "#FFC000"), (Status.NOT_STARTED, "#C00000"),
                  (Status.NOT_REPORTED, "#A5A5A5"))


def _warm() -> None:
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.figure  # noqa: F401


def render(pairs: list[tuple[str, str]]) -> bytes:
    """A stacked bar chart: per number label of the plan, how many activities stand at each status."""
    import matplotlib
    from matplotlib import font_manager
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    installed = {f.name for f in font_manager.fontManager.ttflist}
    serif = next((f for f in ("Times New Roman", "Liberation Serif", "DejaVu Serif") if f in installed), "serif")
    recs = list(dict.fromkeys(rec for rec, _ in pairs))
    with matplotlib.rc_context({"font.family": [serif]}):
        fig = Figure(figsize=(8, 3.6), dpi=150)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        bottom = [0] * len(recs)
        for status, colour in STATUS_COLOURS:
            counts = [sum(1 for r, s in pairs if r == rec and s == status) for rec in recs]
            ax.bar([str(r) for r in recs], counts, bottom=bottom, color=colour, label=status.label)
            bottom = [b + c for b, c in zip(bottom, counts)]
        ax.set_ylabel("Số hoạt động")
        ax.set_title("Tình trạng thực hiện các hoạt động của Kế hoạch")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=4, frameon=False, fontsize=8)
        ax.tick_params(axis="x", labelsize=8)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
    return out.getvalue()


class ChartRenderer:
    """Draws the chart in a warmed-up helper process; start it before the slow work."""

    def __init__(self, background: bool = True):
        self._pool: ProcessPoolExecutor | None = None
        if background:
            try:
                self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
                self._pool.submit(_warm)
            except Exception:  # no processes allowed here: draw in this process
                self._pool = None

    def submit(self, task: Callable[..., Any], *args: Any) -> Future[Any] | None:
        """Run `task(*args)` in the helper process while this one works (None when there is no helper)."""
        if self._pool is None:
            return None
        try:
            return self._pool.submit(task, *args)
        except Exception:
            return None

    def render(self, pairs: list[tuple[str, str]]) -> bytes | None:
        """The PNG, or None when there is nothing to draw."""
        if not pairs:
            return None
        if self._pool is not None:
            try:
                return self._pool.submit(render, pairs).result(timeout=300)
            except Exception:
                pass
        return render(pairs)

    def close(self) -> None:
        """Stop the helper process."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
