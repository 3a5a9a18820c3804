"""Trends: per time bucket and group, volume, category and emotion shares, sentiment, satisfaction, escalations.

Buckets with no contacts are explicit zeros (so a quiet 03:00 slot shows as 0, not as a gap), and every metric
has its change from the previous bucket of the same group.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from . import errors
from .store import DEFAULT_TZ, GROUP_COLUMNS, ResultsStore, parse_times

FREQ_ALIASES = {"15min": "15min", "15m": "15min", "30min": "30min", "h": "h", "1h": "h", "hour": "h", "d": "D",
                "day": "D", "w": "W-MON", "week": "W-MON", "m": "MS", "month": "MS"}
ESCALATION_THRESHOLD = 0.7
SATISFIED_THRESHOLD = 0.0  # expected S-score above 0: the customer leans satisfied
CHANGE_METRICS = ("contacts", "negative_share", "satisfaction_index", "escalations", "sentiment_mean")


def normalise_freq(freq: str) -> str:
    key = freq.strip().lower()
    if key not in FREQ_ALIASES:
        raise errors.InputError(f"Unknown --freq {freq!r}: use 15min, h, D, W or M.")
    return FREQ_ALIASES[key]


def load_scored(source: str | Path, tz: str | None = None, time_col: str | None = None) -> pd.DataFrame:
    """Scored contacts from a DuckDB store or a scored .parquet/.csv/.jsonl file, with tz-aware `started_at`."""
    source = Path(source)
    if not source.exists():
        raise errors.file_not_found(source)
    if source.suffix.lower() in (".duckdb", ".db"):
        with ResultsStore(source, tz=tz) as store:
            return store.frame()
    suffix = source.suffix.lower()
    if suffix == ".parquet":
        frame = pd.read_parquet(source)
    elif suffix == ".csv":
        frame = pd.read_csv(source, encoding="utf-8-sig", dtype={"id": str})
    elif suffix in (".jsonl", ".ndjson"):
        frame = pd.read_json(source, lines=True, dtype={"id": str})
    else:
        raise errors.InputError(f"Cannot read scored results from {source}: use a .duckdb store, .parquet, .csv or .jsonl.")
    from .store import find_time_column

    column = find_time_column(list(frame.columns), time_col)
    if column is None:
        raise errors.InputError(
            f"{source} has no time column (looked for {time_col or 'started_at, timestamp, time, created_at…'}). "
            "Pass --time-col."
        )
    frame["started_at"] = parse_times(frame[column], tz or DEFAULT_TZ)
    if "keywords" in frame:
        frame["keywords"] = frame["keywords"].map(_as_list)
    return frame


def _as_list(value) -> list:
    if isinstance(value, list | np.ndarray):
        return list(value)
    if isinstance(value, str) and value.startswith("["):
        return json.loads(value)
    return []


def bucket_start(stamps: pd.Series, freq: str) -> pd.Series:
    """The start of each timestamp's bucket, in local time (weeks start on Monday, months on the 1st)."""
    if freq == "W-MON":
        day = stamps.dt.normalize()
        return day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    if freq == "MS":
        day = stamps.dt.normalize()
        return day - pd.to_timedelta(day.dt.day - 1, unit="D")
    return stamps.dt.floor(freq, ambiguous="NaT", nonexistent="shift_forward")


def _check_groups(frame: pd.DataFrame, by: list[str]) -> None:
    missing = [b for b in by if b not in frame.columns]
    if missing:
        raise errors.InputError(f"Cannot group by {', '.join(missing)}: not in the results "
                                f"(known: {', '.join([*GROUP_COLUMNS, 'category'])}).")


def compute_trends(frame: pd.DataFrame, freq: str = "15min", by: list[str] | None = None,
                   tz: str | None = None) -> pd.DataFrame:
    """One row per (bucket, group): counts, shares, means and changes."""
    freq = normalise_freq(freq)
    by = [b for b in (by or []) if b]
    _check_groups(frame, by)
    frame = frame[frame["started_at"].notna()].copy()
    if frame.empty:
        return pd.DataFrame(columns=["bucket", *by, "contacts"])
    if tz:
        frame["started_at"] = frame["started_at"].dt.tz_convert(tz)
    frame["bucket"] = bucket_start(frame["started_at"], freq)
    for b in by:
        frame[b] = frame[b].fillna("(none)").astype(str)

    indicators = pd.DataFrame(index=frame.index)
    indicators["contacts"] = 1
    for label in sorted(frame["category"].dropna().unique()) if "category" in frame else []:
        indicators[f"share_{label}"] = (frame["category"] == label).astype(float)
    if "sentiment_score" in frame:
        indicators["sentiment_mean"] = frame["sentiment_score"].astype(float)
        indicators["negative_share"] = (frame["sentiment_label"] == "negative").astype(float)
    for emotion in sorted(frame["emotion"].dropna().unique()) if "emotion" in frame else []:
        indicators[f"emotion_{emotion}"] = (frame["emotion"] == emotion).astype(float)
    if "satisfaction" in frame and frame["satisfaction"].notna().any():
        satisfaction = frame["satisfaction"].astype(float)
        indicators["satisfaction_index"] = (satisfaction + 2) / 4 * 100
        indicators["satisfied_share"] = (satisfaction > SATISFIED_THRESHOLD).astype(float).where(satisfaction.notna())
    if "resolution" in frame and frame["resolution"].notna().any():
        resolution = frame["resolution"].astype(float)
        indicators["resolution_rate"] = (resolution > 0).astype(float).where(resolution.notna())
    if "escalation_risk" in frame:
        indicators["escalations"] = (frame["escalation_risk"].astype(float) >= ESCALATION_THRESHOLD).astype(float)

    keys = [frame["bucket"], *(frame[b] for b in by)]
    grouped = indicators.groupby(keys, sort=True)
    sums = {"contacts", "escalations"}
    result = grouped.agg({c: ("sum" if c in sums else "mean") for c in indicators.columns})
    result.index.names = ["bucket", *by]
    result = _fill_missing_buckets(result, frame["bucket"], freq, by)
    result = result.reset_index()
    result["contacts"] = result["contacts"].astype(int)
    if "escalations" in result:
        result["escalations"] = result["escalations"].astype(int)
    group_keys = by or None
    for metric in CHANGE_METRICS:
        if metric in result:
            previous = result.groupby(group_keys)[metric].shift(1) if group_keys else result[metric].shift(1)
            result[f"{metric}_change"] = result[metric] - previous
    return result


def _fill_missing_buckets(result: pd.DataFrame, buckets: pd.Series, freq: str, by: list[str]) -> pd.DataFrame:
    """Every bucket between the first and last contact, for every group seen: absent ones get zero contacts."""
    full = pd.date_range(buckets.min(), buckets.max(), freq=freq)
    if by:
        groups = result.reset_index()[by].drop_duplicates()
        index = pd.MultiIndex.from_frame(
            pd.merge(pd.DataFrame({"bucket": full}), groups, how="cross")[["bucket", *by]]
        )
    else:
        index = pd.Index(full, name="bucket")
    result = result.reindex(index)
    result["contacts"] = result["contacts"].fillna(0)
    if "escalations" in result:
        result["escalations"] = result["escalations"].fillna(0)
    return result


def write_table(frame: pd.DataFrame, output: Path) -> None:
    suffix = output.suffix.lower()
    output.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        frame.to_csv(output, index=False, encoding="utf-8-sig")
    elif suffix == ".json":
        output.write_text(frame.to_json(orient="records", date_format="iso", force_ascii=False, indent=1), encoding="utf-8")
    elif suffix == ".parquet":
        frame.to_parquet(output, index=False)
    else:
        raise errors.unsupported_output(output, [".csv", ".json", ".parquet"])
