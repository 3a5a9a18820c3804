"""The monitoring report: one self-contained HTML file (inline SVG charts and CSS, no CDN) that opens offline."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from .alerts import AlertSettings, find_alerts
from .charts import line_chart, stacked_bar_chart
from .topics import emerging_by_period, hot_topics
from .trends import ESCALATION_THRESHOLD, compute_trends

CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","WenQuanYi Micro Hei","Microsoft YaHei",
"PingFang SC",sans-serif;margin:24px auto;max-width:1100px;color:#222;background:#fafafa}
h1{font-size:24px;margin-bottom:4px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
.kpis{display:flex;gap:12px;flex-wrap:wrap}.kpi{background:#fff;border:1px solid #e3e3e3;border-radius:6px;
padding:10px 14px;min-width:120px}.kpi b{display:block;font-size:22px}.kpi span{font-size:12px;color:#666}
figure{background:#fff;border:1px solid #e3e3e3;border-radius:6px;margin:12px 0;padding:8px}
figcaption{font-size:13px;color:#555;margin:4px 8px}svg.chart{width:100%;height:auto;font-size:11px}
.axis{stroke:#888}.grid{stroke:#eee}table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border:1px solid #e3e3e3;padding:4px 8px;text-align:left}th{background:#f0f0f0}
td.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#777;font-size:12px}
details{background:#fff;border:1px solid #e3e3e3;border-radius:4px;margin:4px 0;padding:4px 8px}
.bad{color:#b00020}.cols{display:grid;grid-template-columns:1fr 1fr;gap:16px}
"""
# Checks in the browser that every chart has drawn marks; the report's browser test reads the result.
SELF_CHECK = """
<script>
window.addEventListener("load", function () {
  var charts = document.querySelectorAll("svg.chart"), ok = 0;
  charts.forEach(function (svg) {
    var box = svg.getBoundingClientRect();
    var marks = svg.querySelectorAll(".mark").length;
    if (box.width > 0 && box.height > 0 && marks > 0) { ok += 1; svg.setAttribute("data-drawn", "true"); }
  });
  document.body.setAttribute("data-charts", ok + "/" + charts.length);
});
</script>
"""


def worst_contacts(frame: pd.DataFrame, n: int = 20) -> pd.DataFrame:
    """Highest escalation risk first, then lowest predicted satisfaction."""
    rank = frame["escalation_risk"].fillna(0) - frame["satisfaction"].fillna(0) / 4
    return frame.assign(rank=rank).sort_values("rank", ascending=False).head(n)


def _period_freq(frame: pd.DataFrame) -> str:
    span = frame["started_at"].max() - frame["started_at"].min()
    if span <= pd.Timedelta(days=2):
        return "h"
    return "D" if span <= pd.Timedelta(days=90) else "W"


def _label(bucket: pd.Timestamp, freq: str) -> str:
    return bucket.strftime("%m-%d %H:%M" if freq == "h" else "%Y-%m-%d")


def _table(frame: pd.DataFrame, formats: dict[str, str] | None = None) -> str:
    if frame.empty:
        return '<p class="muted">Nothing to show.</p>'
    formats = formats or {}
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for column in frame.columns:
            value = row[column]
            if column in formats and isinstance(value, int | float | np.number) and np.isfinite(value):
                cells.append(f'<td class="num">{format(value, formats[column])}</td>')
            elif isinstance(value, pd.Timestamp):
                cells.append(f"<td>{value.strftime('%Y-%m-%d %H:%M')}</td>")
            else:
                cells.append(f"<td>{escape(str(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _scorecard(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per agent or business line: volume, satisfaction, negativity, complaints, escalations."""
    if column not in frame or frame[column].isna().all():
        return pd.DataFrame()
    part = frame[frame[column].notna()]
    grouped = part.groupby(column)
    table = pd.DataFrame({
        "contacts": grouped.size(),
        "satisfaction index": grouped["satisfaction"].mean().add(2).div(4).mul(100) if "satisfaction" in part else np.nan,
        "negative share": grouped["sentiment_label"].apply(lambda s: (s == "negative").mean()),
        "complaint share": grouped["category"].apply(lambda s: (s == "complaint").mean()) if part["category"].notna().any() else np.nan,
        "escalations": grouped["escalation_risk"].apply(lambda s: int((s >= ESCALATION_THRESHOLD).sum())),
    }).reset_index()
    return table.sort_values("satisfaction index", na_position="last")


def build_report(frame: pd.DataFrame, title: str = "Customer satisfaction monitoring", alert_freq: str = "h",
                 alert_settings: AlertSettings | None = None, worst: int = 20,
                 records: dict[str, dict[str, Any]] | None = None) -> str:
    frame = frame[frame["started_at"].notna()].copy()
    if frame.empty:
        return f"<!doctype html><meta charset='utf-8'><title>{escape(title)}</title><p>No timestamped contacts.</p>"
    freq = _period_freq(frame)
    trends = compute_trends(frame, freq)
    labels = [_label(b, freq) for b in trends["bucket"]]
    categories = sorted(frame["category"].dropna().unique()) if "category" in frame else []
    emotions = sorted(frame["emotion"].dropna().unique()) if "emotion" in frame else []
    volume = ({c: (trends[f"share_{c}"].fillna(0) * trends["contacts"]).tolist() for c in categories}
              or {"contacts": trends["contacts"].astype(float).tolist()})
    alerts = find_alerts(frame, alert_freq, [], alert_settings)
    by_line = find_alerts(frame, alert_freq, ["business_line"], alert_settings) if "business_line" in frame else []
    alert_rows = pd.DataFrame([{**a.to_dict(), "group": ", ".join(f"{k}={v}" for k, v in a.group.items()) or "all"}
                               for a in alerts + by_line])
    satisfaction_index = (frame["satisfaction"].mean() + 2) / 4 * 100
    kpis = [
        (f"{len(frame):,}", "contacts"),
        (f"{satisfaction_index:.1f}", "satisfaction index (0-100)"),
        (f"{(frame['sentiment_label'] == 'negative').mean():.0%}", "negative sentiment"),
        (f"{int((frame['escalation_risk'] >= ESCALATION_THRESHOLD).sum()):,}", "escalation risks"),
        (f"{len(alert_rows):,}", "alerts"),
    ]
    worst_rows = worst_contacts(frame, worst)
    sections = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="muted">{frame["started_at"].min():%Y-%m-%d %H:%M} to {frame["started_at"].max():%Y-%m-%d %H:%M} '
        f"({frame['started_at'].dt.tz}), generated by feedback-nlp {__version__}</p>",
        '<div class="kpis">' + "".join(f'<div class="kpi"><b>{v}</b><span>{escape(k)}</span></div>' for v, k in kpis)
        + "</div>",
        "<h2>Volume by category</h2>" if categories else "<h2>Volume</h2>",
        _figure(stacked_bar_chart("chart-volume", "Contacts per period", labels, volume),
                "Contacts per period" + (", stacked by predicted category." if categories else ".")),
        "<h2>Sentiment and satisfaction</h2>",
        _figure(line_chart("chart-sentiment", "Sentiment", labels, {
            "mean sentiment": trends["sentiment_mean"].tolist(), "negative share": trends["negative_share"].tolist()},
            y_range=(-1, 1)), "Mean sentiment score (-1..1) and the share of contacts read as negative."),
        _figure(line_chart("chart-satisfaction", "Satisfaction", labels, {
            "satisfaction index": trends.get("satisfaction_index", pd.Series(dtype=float)).tolist(),
            "satisfied %": (trends.get("satisfied_share", pd.Series(dtype=float)) * 100).tolist(),
            "resolved %": (trends.get("resolution_rate", pd.Series(dtype=float)) * 100).tolist()},
            y_format=".0f", y_range=(0, 100)),
            "Satisfaction index (expected STC-3 S-score mapped to 0-100), share predicted satisfied, share resolved."),
        "<h2>Emotion mix and escalations</h2>" if emotions else "<h2>Escalations</h2>",
        _figure(stacked_bar_chart("chart-emotion", "Emotion mix", labels, {
            e: (trends[f"emotion_{e}"].fillna(0) * 100).tolist() for e in emotions}, y_format=".0f"),
            "Share of contacts (%) by dominant customer emotion.") if emotions else "",
        _figure(line_chart("chart-escalation", "Escalations", labels, {
            "escalation risks": trends["escalations"].tolist()}, y_format=".1f",
            y_range=(0, max(1.0, float(trends["escalations"].max())))),
            f"Contacts with escalation risk >= {ESCALATION_THRESHOLD}."),
        f"<h2>Alerts ({alert_freq} buckets)</h2>",
        _table(alert_rows[["bucket", "group", "metric", "value", "baseline", "change", "z", "contacts"]]
               if not alert_rows.empty else alert_rows, {"value": ".3g", "baseline": ".3g", "change": "+.3g", "z": ".1f"}),
        "<h2>Hot and emerging topics</h2>",
        '<div class="cols"><div><h3>Hot topics (whole period)</h3>'
        + _table(hot_topics(frame.assign(started_at=frame["started_at"].min()), "M",
                            "category" if categories else "channel", 6).drop(columns="period"), {"share": ".0%"})
        + "</div><div><h3>Emerging terms per day (last 14 days)</h3>"
        + _table(emerging_by_period(frame, "D", 4, last=14), {"z": ".1f"}) + "</div></div>",
        "<h2>Agents</h2>", _table(_scorecard(frame, "agent_id"), _SCORE_FORMATS),
        "<h2>Business lines</h2>", _table(_scorecard(frame, "business_line"), _SCORE_FORMATS),
        "<h2>Listen to these first</h2>",
        '<p class="muted">Highest escalation risk and lowest predicted satisfaction.</p>',
        _worst(worst_rows, records or {}),
    ]
    return (f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<style>{CSS}</style></head><body>{''.join(sections)}{SELF_CHECK}</body></html>")


_SCORE_FORMATS = {"satisfaction index": ".1f", "negative share": ".0%", "complaint share": ".0%"}


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"


def _worst(rows: pd.DataFrame, records: dict[str, dict[str, Any]]) -> str:
    items = []
    for _, row in rows.iterrows():
        record = records.get(str(row["id"]), {})
        text = record.get("text_masked") or row.get("text_masked") or ""
        items.append(
            f'<details id="contact-{escape(str(row["id"]))}"><summary><b>{escape(str(row["id"]))}</b> '
            f'{row["started_at"]:%Y-%m-%d %H:%M} {escape(str(row.get("channel") or ""))} '
            f'agent {escape(str(row.get("agent_id") or "-"))} · {escape(str(row.get("category")))} · '
            f'satisfaction <span class="bad">{row.get("satisfaction", float("nan")):+.2f}</span> · '
            f'escalation {row.get("escalation_risk", float("nan")):.2f}</summary>'
            f'<pre style="white-space:pre-wrap">{escape(str(text))}</pre></details>'
        )
    return "".join(items) or '<p class="muted">Nothing to show.</p>'


def write_report(frame: pd.DataFrame, output: str | Path, **options: Any) -> Path:
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_text(build_report(frame, **options), encoding="utf-8")
    tmp.replace(output)
    return output
