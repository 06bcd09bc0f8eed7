"""The manager's report as one self-contained HTML file: styles and SVG charts inline, no script,
nothing fetched, so it opens offline from a disk, a mail attachment or a file share, and prints.

Every table row carries `data-id` (the milestone or project) and every cell `data-col` (the marts'
column it shows): tests read the figures back by them.
"""

from __future__ import annotations

from datetime import date
from html import escape
from pathlib import Path

from pipelines import report_tables
from pipelines.figures import cell
from pipelines.glossary import GLOSSARY
from pipelines.report_charts import ChartStore
from pipelines.report_data import MAX_CHARTS, RECENT_DAYS, TREND_WEEKS, ReportData, Row
from pipelines.report_tables import Column

CSS = """
body { font: 14px/1.45 "DejaVu Sans", system-ui, sans-serif; color: #222; margin: 1.5rem auto; max-width: 1180px; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 2px solid #0072B2; }
.lead { font-size: 1.05rem; } .muted { color: #666; } nav a { margin-right: 1rem; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; margin: .5rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: .3rem .4rem; text-align: left; vertical-align: top; }
th { background: #f3f5f7; } td.num { text-align: right; white-space: nowrap; } td.date { white-space: nowrap; }
tr.overdue td:first-child, tr.slipping td:first-child { color: #b33c00; font-weight: bold; }
tr.at_risk td:first-child { color: #8a5a00; font-weight: bold; }
tr.failed-on-time { background: #fde8df; } tr.failed-on-time td:first-child::before { content: "⚠ "; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 1rem; }
figure { margin: 0; padding: .5rem; border: 1px solid #e3e3e3; break-inside: avoid; }
figcaption { font-size: 12.5px; margin-bottom: .3rem; } svg { max-width: 100%; height: auto; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; font-size: 13px; } dt { font-weight: bold; }
.engineers { font-size: 12.5px; color: #444; }
@media print {
  body { font-size: 10.5px; max-width: none; margin: 0; } nav { display: none; }
  a { color: inherit; text-decoration: none; } table { font-size: 9.5px; }
  .charts { grid-template-columns: 1fr 1fr; } h2 { break-after: avoid; } tr, figure { break-inside: avoid; }
  @page { size: A4 landscape; margin: 12mm; }
}
"""

SECTIONS = (
    ("portfolio", "Portfolio"),
    ("attention", "Needing attention"),
    ("closed-incomplete", "Closed, not done"),
    ("outcomes", "Product outcomes"),
    ("trends", "Weekly trends"),
    ("glossary", "Glossary"),
    ("engineers", "For engineers"),
)


def link(text: str, url: str | None) -> str:
    """`text` linking to the tracker; only an http(s) address becomes a link."""
    if url and url.startswith(("https://", "http://")):
        return f'<a href="{escape(url)}">{escape(text)}</a>'
    return escape(text)


def table(columns: list[Column], rows: list[Row], key: str, row_class: str = "") -> str:
    head = "".join(f"<th>{escape(header)}</th>" for _, header, _ in columns)
    body = []
    for row in rows:
        cells = []
        for name, _, text in columns:
            value = text(row)
            shown = link(value, row.get("url")) if name == "name" else escape(value)
            value_type = type(row.get(name))
            # Numbers right-aligned, dates kept on one line.
            kind = {int: " class=num", float: " class=num", date: " class=date"}.get(value_type, "")
            cells.append(f'<td data-col="{name}"{kind}>{shown}</td>')
        classes = row_class.format(**row) if row_class else ""
        body.append(f'<tr data-id="{escape(str(row[key]))}" class="{escape(classes)}">{"".join(cells)}</tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def burnups(data: ReportData, charts: ChartStore) -> str:
    figures = []
    for milestone in data.charted:
        caption = (
            f"<b>{escape(milestone['status'])}</b> {escape(milestone['project'])} "
            f"{link(milestone['name'], milestone['url'])}: {escape(milestone['status_reason'])}"
        )
        chart = charts.burnup(data.burnups[milestone["milestone_id"]], milestone)
        figures.append(
            f'<figure class="burnup" data-id="{escape(milestone["milestone_id"])}">'
            f"<figcaption>{caption}</figcaption>{chart}</figure>"
        )
    more = len(data.attention) - len(data.charted)
    note = (
        f'<p class="muted">The first {MAX_CHARTS} are drawn; {more} more are in the table.</p>'
        if more > 0
        else ""
    )
    return f'<div class="charts">{"".join(figures)}</div>{note}'


def trends(data: ReportData, charts: ChartStore) -> str:
    parts = []
    for (source, project), weeks in data.weekly.items():
        parts.append(
            f'<figure class="trend" data-id="{escape(project)}"><figcaption><b>{escape(project)}</b> '
            f'<span class="muted">({escape(source)})</span></figcaption>{charts.weekly(weeks)}</figure>'
        )
    return "".join(parts)


def engineers(data: ReportData, warehouse: Path) -> str:
    lines = [
        f"{escape(r['source'])}: {escape(r['status'])}, {r['requests']} requests, {r['records']} records"
        + (f", finished {escape(cell(r['finished_at']))}" if r["finished_at"] else "")
        for r in data.sync_runs
    ]
    if data.oddities:
        lines.append(
            f"{data.oddities} odd values from the trackers nulled (intermediate.source_data_oddities)"
        )
    lines.append(f"Warehouse: {escape(str(warehouse))} (read it with any DuckDB client; README, BI)")
    return "<ul>" + "".join(f"<li>{line}</li>" for line in lines) + "</ul>"


def render(data: ReportData, warehouse: Path, charts: ChartStore) -> str:
    """The whole HTML document; its charts from `charts`."""
    as_of = cell(data.as_of)
    nav = "".join(f'<a href="#{anchor}">{title}</a>' for anchor, title in SECTIONS)
    glossary = "".join(f"<dt>{escape(term)}</dt><dd>{escape(text)}</dd>" for term, text in GLOSSARY.items())
    outcomes_rows = [
        {**o, "row_class": "failed-on-time" if o["outcome_failed_despite_on_time"] else o["outcome_status"]}
        for o in data.outcomes
    ]
    sections = [
        (
            "portfolio",
            f"<p class=muted>Per project, as of {as_of} UTC; rates over the last {RECENT_DAYS} days.</p>"
            + table(report_tables.PORTFOLIO, data.portfolio, "project"),
        ),
        (
            "attention",
            table(report_tables.ATTENTION, data.attention, "milestone_id", "{status}")
            + "<h3 id=burnups>Burn-up: scope and done items per day, the due date and the forecasts</h3>"
            + burnups(data, charts),
        ),
        (
            "closed-incomplete",
            f"<p class=muted>Closed or released in the last {RECENT_DAYS} days with items not done.</p>"
            + table(report_tables.CLOSED_INCOMPLETE, data.closed_incomplete, "milestone_id"),
        ),
        (
            "outcomes",
            f"<p class=muted>Delivered in the last {RECENT_DAYS} days and not healthy; highlighted: on time, outcome failed.</p>"
            + table(report_tables.OUTCOMES, outcomes_rows, "milestone_id", "{row_class}"),
        ),
        (
            "trends",
            f"<p class=muted>The last {TREND_WEEKS} weeks per project (weeks start on Monday, UTC).</p>"
            + trends(data, charts),
        ),
        ("glossary", f"<dl>{glossary}</dl>"),
        ("engineers", f'<div class="engineers">{engineers(data, warehouse)}</div>'),
    ]
    titles = dict(SECTIONS)
    body = "".join(
        f'<section id="{anchor}"><h2>{titles[anchor]}</h2>{html}</section>' for anchor, html in sections
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>trackerlake report, as of {as_of}</title><style>{CSS}</style></head><body>"
        f"<h1>Delivery report</h1><p class=muted>As of {as_of} UTC, from {escape(warehouse.name)}</p>"
        f'<p class="lead">{escape(report_tables.headline(data))}</p><nav>{nav}</nav>{body}</body></html>'
    )
