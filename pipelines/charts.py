"""The report's charts as inline SVG, drawn with matplotlib offline.

Deterministic: the same data gives the same bytes (a fixed `svg.hashsalt`, no date in the file),
and the text is drawn as paths from the DejaVu Sans font bundled with matplotlib, so a chart reads
the same in any browser and printer, without fonts or network. Colours are the Okabe-Ito palette,
told apart by colour-blind readers too, and lines differ in style as well for a grey printout.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import timedelta

import matplotlib
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from pipelines.report_data import Row

STYLE = {
    "svg.hashsalt": "trackerlake",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
}
SCOPE, DONE, DUE, P50, P85, GREY = "#0072B2", "#009E73", "#D55E00", "#E69F00", "#CC79A7", "#999999"


def svg(figure: Figure) -> str:
    """The figure as an <svg> element to inline in HTML (no XML prolog, no creation date)."""
    buffer = io.StringIO()
    with matplotlib.rc_context(STYLE):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def burnup(days: Sequence[Row], milestone: Row) -> str:
    """Scope and done items per day, the due date, and the p50/p85 forecasts of the finish."""
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(5.6, 2.6))
        axes = figure.add_subplot()
        # Each row is the end of its day: the step runs to the next day, the last one's included.
        x = [d["day"] for d in days] + [days[-1]["day"] + timedelta(days=1)] if days else []
        scope = [d["scope_items"] for d in days] + [d["scope_items"] for d in days[-1:]]
        done = [d["done_items"] for d in days] + [d["done_items"] for d in days[-1:]]
        axes.step(x, scope, where="post", color=SCOPE, label="scope (items)")
        axes.step(x, done, where="post", color=DONE, label="done", linewidth=2)
        axes.fill_between(x, done, step="post", color=DONE, alpha=0.15)
        marks = [
            ("due", milestone["due_date"], DUE, "--"),
            ("p50", milestone["forecast_p50_date"], P50, ":"),
            ("p85", milestone["forecast_p85_date"], P85, "-."),
        ]
        for label, when, colour, style in marks:
            if when is not None:
                axes.axvline(when, color=colour, linestyle=style, linewidth=1.4, label=f"{label} {when}")
        if days and milestone["forecast_p50_date"] is not None:
            # The path the p50 forecast expects: from today's done to the whole scope.
            axes.plot(
                [x[-1], milestone["forecast_p50_date"]],
                [done[-1], scope[-1]],
                color=DONE,
                linestyle=":",
                linewidth=1,
            )
        axes.set_ylim(bottom=0)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylabel("items")
        _date_axis(axes)
        # Beside the plot, never over the lines.
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
        return svg(figure)


def weekly(weeks: Sequence[Row]) -> str:
    """A project's last weeks: throughput, median lead time, and bugs opened against closed."""
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(8.4, 2.2), layout="constrained")
        throughput, lead, bugs = figure.subplots(1, 3)
        x = [w["week_start"] for w in weeks]
        width = timedelta(days=3)
        throughput.bar(x, [w["completed_items"] for w in weeks], width=timedelta(days=5), color=DONE)
        throughput.set_title("throughput (items/week)", fontsize=8)
        lead.plot(x, [w["lead_time_p50_days"] for w in weeks], color=SCOPE, marker="o", markersize=3)
        lead.set_title("lead time p50 (days)", fontsize=8)
        bugs.bar(
            [d - width / 2 for d in x],
            [w["bugs_opened"] for w in weeks],
            width=width,
            color=DUE,
            label="opened",
        )
        bugs.bar(
            [d + width / 2 for d in x],
            [w["bugs_closed"] for w in weeks],
            width=width,
            color=GREY,
            label="closed",
        )
        bugs.set_title("bugs opened / closed", fontsize=8)
        bugs.legend(fontsize=7, frameon=False)
        for axes in (throughput, lead, bugs):
            axes.set_ylim(bottom=0)
            axes.yaxis.set_major_locator(MaxNLocator(integer=True))
            _date_axis(axes)
        return svg(figure)


def _date_axis(axes: Axes) -> None:
    locator = AutoDateLocator(maxticks=6)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
