"""Alerts: buckets where a metric departs from its own recent baseline (an EWMA control chart per group).

For a share (complaint share, negative share, anger share) the baseline p is the EWMA of earlier buckets and the
bucket's spread is binomial, sqrt(p(1-p)/n), widened by the series' own extra variation; for a count the baseline is
seasonal below a day (the same slot on earlier days, so the morning ramp-up is not a spike) with Poisson spread; for
a mean (satisfaction index) the spread is the contacts' standard deviation over sqrt(n). An alert needs
z >= threshold, at least `min_count` contacts in the bucket (three calls at 3 a.m. never page anyone), a change of
at least `min_delta`, and `warmup` earlier buckets with data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import errors


@dataclass(frozen=True)
class AlertRule:
    metric: str
    direction: str = "up"  # "up" or "down"
    kind: str = "share"  # "share", "count" or "mean"
    threshold: float = 4.0
    min_count: int = 20
    min_delta: float = 0.0

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> AlertRule:
        try:
            rule = cls(**raw)
        except TypeError as exc:
            raise errors.ConfigError(f"Bad alert rule {raw}: {exc}") from exc
        if rule.direction not in ("up", "down") or rule.kind not in ("share", "count", "mean"):
            raise errors.ConfigError(f"Alert rule {rule.metric!r}: direction is up/down, kind is share/count/mean.")
        return rule


DEFAULT_RULES = (
    AlertRule("contacts", "up", "count", threshold=5.0, min_count=20),
    AlertRule("share_complaint", "up", "share", min_delta=0.10),
    AlertRule("share_transaction_error", "up", "share", min_delta=0.15),
    AlertRule("negative_share", "up", "share", min_delta=0.15),
    AlertRule("emotion_anger", "up", "share", min_delta=0.10),
    AlertRule("satisfaction_index", "down", "mean", min_delta=5.0),
)


@dataclass
class Alert:
    metric: str
    group: dict[str, str]
    bucket: str
    value: float
    baseline: float
    change: float
    z: float
    contacts: int
    direction: str

    def describe(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in self.group.items()) or "all contacts"
        return (f"{self.bucket} [{where}] {self.metric} {self.value:.3g} vs baseline {self.baseline:.3g} "
                f"({self.change:+.3g}, z={self.z:.1f}, n={self.contacts})")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AlertSettings:
    ewma_lambda: float = 0.2
    warmup: int = 8
    rules: tuple[AlertRule, ...] = DEFAULT_RULES
    seasonal_warmup: int = 3  # earlier days with the same slot, for seasonal (sub-daily volume) baselines

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> AlertSettings:
        section = config.get("monitoring", {}).get("alerts", {})
        rules = tuple(AlertRule.from_dict(r) for r in section.get("rules", [])) or DEFAULT_RULES
        return cls(section.get("ewma_lambda", 0.2), section.get("warmup", 8), rules,
                   section.get("seasonal_warmup", 3))


def _ewma_baseline(values: np.ndarray, valid: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """Baseline before each bucket (from earlier buckets only) and how many valid buckets preceded it."""
    baseline = np.full(len(values), np.nan)
    seen = np.zeros(len(values), dtype=int)
    level, count = np.nan, 0
    for i, (value, ok) in enumerate(zip(values, valid, strict=True)):
        baseline[i], seen[i] = level, count
        if ok:
            level = value if count == 0 else lam * value + (1 - lam) * level
            count += 1
    return baseline, seen


def _seasonal_baseline(values: np.ndarray, slots: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray]:
    baseline = np.full(len(values), np.nan)
    seen = np.zeros(len(values), dtype=int)
    for slot in np.unique(slots):
        rows = np.flatnonzero(slots == slot)
        b, s = _ewma_baseline(values[rows], np.ones(len(rows), dtype=bool), lam)
        baseline[rows], seen[rows] = b, s
    return baseline, seen


def _excess_variance(values: np.ndarray, baseline: np.ndarray, expected_var: np.ndarray, valid: np.ndarray) -> float:
    """Variation beyond the sampling model (day-to-day drift), estimated robustly from the whole series."""
    ok = valid & np.isfinite(baseline) & np.isfinite(expected_var)
    if ok.sum() < 5:
        return 0.0
    residual = values[ok] - baseline[ok]
    robust = (1.4826 * np.median(np.abs(residual - np.median(residual)))) ** 2
    return float(max(0.0, robust - np.median(expected_var[ok])))


def detect(trends: pd.DataFrame, by: list[str], settings: AlertSettings, freq: str,
           contact_sd: dict[str, dict[tuple, float]] | None = None) -> list[Alert]:
    """Run every rule over every group's series in `trends` (the output of compute_trends)."""
    alerts: list[Alert] = []
    grouped = trends.groupby(by, sort=False) if by else [((), trends)]
    sub_daily = pd.Timedelta(pd.tseries.frequencies.to_offset(freq)) < pd.Timedelta("1D") \
        if not freq.startswith(("W", "M")) else False
    for key, series in grouped:
        key = key if isinstance(key, tuple) else (key,)
        series = series.sort_values("bucket")
        n = series["contacts"].to_numpy(dtype=float)
        for rule in settings.rules:
            if rule.metric not in series:
                continue
            values = series[rule.metric].to_numpy(dtype=float)
            valid = np.isfinite(values) & (n > 0)
            warmup = settings.warmup
            if rule.kind == "count" and sub_daily:
                slots = series["bucket"].dt.strftime("%H:%M").to_numpy()
                baseline, seen = _seasonal_baseline(values, slots, settings.ewma_lambda)
                warmup = settings.seasonal_warmup
            else:
                baseline, seen = _ewma_baseline(values, valid, settings.ewma_lambda)
            if rule.kind == "share":
                p = np.clip(baseline, 0.01, 0.99)
                expected_var = p * (1 - p) / np.maximum(n, 1)
            elif rule.kind == "count":
                expected_var = np.maximum(baseline, 1.0)
            else:
                sd = (contact_sd or {}).get(rule.metric, {}).get(key, np.nanstd(values[valid]) if valid.any() else 1.0)
                expected_var = (sd**2) / np.maximum(n, 1)
            sigma = np.sqrt(expected_var + _excess_variance(values, baseline, expected_var, valid))
            sign = 1.0 if rule.direction == "up" else -1.0
            change = values - baseline
            with np.errstate(invalid="ignore", divide="ignore"):
                z = sign * change / sigma
            guard = n if rule.kind != "count" else values
            fire = (valid & (seen >= warmup) & (z >= rule.threshold) & (guard >= rule.min_count)
                    & (sign * change >= rule.min_delta))
            for i in np.flatnonzero(fire):
                alerts.append(Alert(
                    rule.metric, {b: str(v) for b, v in zip(by, key, strict=True)},
                    series["bucket"].iloc[i].isoformat(), round(float(values[i]), 4), round(float(baseline[i]), 4),
                    round(float(change[i]), 4), round(float(z[i]), 2), int(n[i]), rule.direction,
                ))
    return sorted(alerts, key=lambda a: (a.bucket, a.metric))


def find_alerts(frame: pd.DataFrame, freq: str = "15min", by: list[str] | None = None,
                settings: AlertSettings | None = None, tz: str | None = None) -> list[Alert]:
    """Trends then alerts, from scored contacts (see trends.load_scored)."""
    from .trends import compute_trends, normalise_freq

    by = by or []
    settings = settings or AlertSettings()
    trends = compute_trends(frame, freq, by, tz)
    contact_sd: dict[str, dict[tuple, float]] = {}
    if "satisfaction" in frame and frame["satisfaction"].notna().any():
        index = (frame["satisfaction"].astype(float) + 2) / 4 * 100
        if by:
            grouped = index.groupby([frame[b].fillna("(none)").astype(str) for b in by]).std()
            contact_sd["satisfaction_index"] = {k if isinstance(k, tuple) else (k,): v for k, v in grouped.items()}
        else:
            contact_sd["satisfaction_index"] = {(): float(index.std())}
    return detect(trends, by, settings, normalise_freq(freq), contact_sd)
