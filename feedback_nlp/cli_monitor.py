"""`feedback-nlp trends`, `alerts` and `report`: satisfaction monitoring over scored contacts."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from . import errors
from .cli import PipelineOption, app, fail, out

SourceArgument = Annotated[Path, typer.Argument(help="A DuckDB results store (analyze --store) or a scored .parquet/.csv/.jsonl file.")]
FreqOption = Annotated[str, typer.Option(help="Bucket size: 15min, h, D, W or M.")]
TzOption = Annotated[str | None, typer.Option(help="Time zone for buckets and for timestamps without an offset (default Asia/Shanghai).")]
TimeColOption = Annotated[str | None, typer.Option(help="Timestamp column of a scored file (default: started_at, timestamp, time…).")]


def _groups(by: str) -> list[str]:
    return [b.strip() for b in by.split(",") if b.strip()]


def _alert_settings(pipeline: Path | None, min_count: int | None, warmup: int | None):
    from .alerts import AlertSettings
    from .pipeline import read_config
    from .resources import default_pipeline_path

    settings = AlertSettings.from_config(read_config(pipeline or default_pipeline_path()))
    if min_count is not None:
        settings = replace(settings, rules=tuple(replace(r, min_count=min_count) for r in settings.rules))
    if warmup is not None:
        settings = replace(settings, warmup=warmup)
    return settings


@app.command()
def trends(
    source: SourceArgument,
    freq: FreqOption = "15min",
    by: Annotated[str, typer.Option(help="Comma-separated columns to group by: category, channel, agent_id, business_line…")] = "",
    tz: TzOption = None,
    time_col: TimeColOption = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write .csv, .json or .parquet instead of a terminal table.")] = None,
    rows: Annotated[int, typer.Option(help="Terminal table: how many of the latest rows to show.")] = 40,
) -> None:
    """Per bucket and group: contacts, category shares, mean sentiment, negative share, emotion shares, satisfaction
    index (0-100) and share satisfied, resolution rate, escalations, and each one's change from the previous bucket.
    Buckets without contacts are explicit zeros."""
    from .trends import compute_trends, load_scored, write_table

    try:
        table = compute_trends(load_scored(source, tz, time_col), freq, _groups(by), tz)
        if output:
            write_table(table, output)
            out.print(f"Wrote {len(table):,} rows to {output}")
            return
    except errors.FeedbackNLPError as exc:
        fail(exc)
        return
    _print_frame(table.tail(rows), f"Trends ({freq}) — last {min(rows, len(table))} of {len(table)} rows")


def _print_frame(frame, title: str) -> None:
    from rich.table import Table

    shown = [c for c in frame.columns if not c.endswith("_change") or c == "contacts_change"]
    table = Table(title=title, title_justify="left")
    for column in shown:
        table.add_column(column.replace("share_", "").replace("emotion_", "emo:"), overflow="fold")
    for _, row in frame[shown].iterrows():
        table.add_row(*[_cell(row[c]) for c in shown])
    out.print(table)


def _cell(value) -> str:
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return "" if value != value else f"{value:.3g}"
    return str(value)


@app.command()
def alerts(
    source: SourceArgument,
    freq: FreqOption = "15min",
    by: Annotated[str, typer.Option(help="Comma-separated group columns; each group gets its own baseline.")] = "",
    tz: TzOption = None,
    time_col: TimeColOption = None,
    pipeline: PipelineOption = None,
    min_count: Annotated[int | None, typer.Option(help="Override every rule's minimum contacts per bucket.")] = None,
    warmup: Annotated[int | None, typer.Option(help="Override the number of earlier buckets a baseline needs.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per alert instead of text.")] = False,
) -> None:
    """Flag buckets where a metric departs from its own recent baseline (EWMA control chart per group). Metrics,
    thresholds and the minimum-count guard come from the pipeline file's [monitoring.alerts] section."""
    from .alerts import find_alerts
    from .trends import load_scored

    try:
        settings = _alert_settings(pipeline, min_count, warmup)
        found = find_alerts(load_scored(source, tz, time_col), freq, _groups(by), settings, tz)
    except errors.FeedbackNLPError as exc:
        fail(exc)
        return
    for alert in found:
        out.print(json.dumps(alert.to_dict(), ensure_ascii=False) if as_json else alert.describe(),
                  markup=False, highlight=False, soft_wrap=True)
    if not as_json:
        out.print(f"{len(found)} alert(s).")


@app.command()
def report(
    source: SourceArgument,
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")] = Path("report.html"),
    title: Annotated[str, typer.Option(help="Report title.")] = "Customer satisfaction monitoring",
    alert_freq: Annotated[str, typer.Option(help="Bucket size for the alerts table.")] = "h",
    tz: TzOption = None,
    time_col: TimeColOption = None,
    pipeline: PipelineOption = None,
    min_count: Annotated[int | None, typer.Option(help="Override the alerts' minimum contacts per bucket.")] = None,
    warmup: Annotated[int | None, typer.Option(help="Override the alerts' baseline warm-up (buckets).")] = None,
) -> None:
    """One self-contained HTML report (opens offline): volume by category, sentiment and satisfaction trends,
    emotion mix, escalations, alerts, hot and emerging topics, agents, business lines, and the conversations to
    listen to first."""
    from .report import write_report
    from .trends import load_scored

    try:
        frame = load_scored(source, tz, time_col)
        records = _records(source, frame)
        settings = _alert_settings(pipeline, min_count, warmup)
        write_report(frame, output, title=title, alert_freq=alert_freq, alert_settings=settings, records=records)
    except errors.FeedbackNLPError as exc:
        fail(exc)
        return
    out.print(f"Wrote {output} ({len(frame):,} contacts)")


def _records(source: Path, frame) -> dict:
    """Full records of the worst contacts, for their transcripts in the report (store sources only)."""
    if source.suffix.lower() not in (".duckdb", ".db"):
        return {}
    from .report import worst_contacts
    from .store import ResultsStore

    with ResultsStore(source) as store:
        return {r["id"]: r for r in store.records(worst_contacts(frame)["id"].astype(str).tolist())}
