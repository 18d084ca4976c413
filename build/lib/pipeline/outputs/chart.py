"""The chart image of the Word report, drawn in a helper process started early.

matplotlib takes about a second to import. A helper process imports it while the check runs
and draws the chart when asked, so on two cores the import costs no wall time. The helper is
an isolated worker (pipeline.isolation): it dies with the run; any failure of it falls back to
drawing in this process.
"""

from __future__ import annotations

import io

from pipeline.isolation import Failed, Helper, Limits
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


def _draw(_: None, pairs: list[tuple[str, str]] | None) -> bytes | None:
    """In the helper: warm up (None) or draw."""
    if pairs is None:
        _warm()
        return None
    return render(pairs)


class ChartRenderer:
    """Draws the chart in a helper process warmed up early; it dies with the run."""

    def __init__(self, background: bool = True) -> None:
        self._helper: Helper[None, list[tuple[str, str]] | None, bytes | None] | None = None
        if background:
            try:
                self._helper = Helper(_draw, None, Limits(seconds=120, memory_mb=2048))
                self._helper.send(None)
            except OSError:  # no processes allowed here: draw in this process
                self._helper = None

    def render(self, pairs: list[tuple[str, str]]) -> bytes | None:
        """The PNG, or None when there is nothing to draw."""
        if not pairs:
            return None
        if self._helper is not None:
            done = self._helper.result(self._helper.send(pairs))
            if not isinstance(done, Failed):
                return done
        return render(pairs)

    def close(self) -> None:
        """Stop the helper process."""
        if self._helper is not None:
            self._helper.close()
            self._helper = None
