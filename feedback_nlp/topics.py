"""Hot topics per category and period, and emerging terms compared with the previous period.

Terms are the per-contact keywords the pipeline extracts (jieba words with the domain dictionary, stop-words
removed, ranked by TF-IDF). Emerging terms use the log-odds ratio with an informative Dirichlet prior
(Monroe, Colaresi & Quinn, 2008): the prior is the term's frequency over the whole data, so a term that jumps from
rare to common (新版APP 闪退 on the day it starts) scores high and a merely frequent one does not.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from .trends import bucket_start, normalise_freq


def _counts(keyword_lists) -> Counter:
    counts: Counter = Counter()
    for words in keyword_lists:
        counts.update(set(words))  # a contact mentions a term once, however often it repeats it
    return counts


def hot_topics(frame: pd.DataFrame, freq: str = "D", by: str = "category", top_k: int = 10) -> pd.DataFrame:
    """The most mentioned terms per period and `by` value, with the share of contacts mentioning each."""
    frame = frame[frame["started_at"].notna()].copy()
    frame["period"] = bucket_start(frame["started_at"], normalise_freq(freq))
    rows = []
    for (period, group), part in frame.groupby(["period", frame[by].fillna("(none)")], sort=True):
        for term, count in _counts(part["keywords"]).most_common(top_k):
            rows.append({"period": period, by: group, "term": term, "contacts": count,
                         "share": round(count / len(part), 4)})
    return pd.DataFrame(rows, columns=["period", by, "term", "contacts", "share"])


def log_odds_with_prior(current: Counter, previous: Counter, background: Counter, prior_size: float = 500.0):
    """z-scores of the log-odds ratio of each term in `current` versus `previous`."""
    total_bg = sum(background.values()) or 1
    n_cur, n_prev = sum(current.values()), sum(previous.values())
    scores = {}
    for term in current:
        alpha = prior_size * background[term] / total_bg + 0.01
        y_i, y_j = current[term], previous.get(term, 0)
        delta = (np.log((y_i + alpha) / (n_cur + prior_size - y_i - alpha))
                 - np.log((y_j + alpha) / (n_prev + prior_size - y_j - alpha)))
        scores[term] = float(delta / np.sqrt(1 / (y_i + alpha) + 1 / (y_j + alpha)))
    return scores


def emerging_terms(frame: pd.DataFrame, freq: str = "D", top_k: int = 10, min_contacts: int = 3,
                   period: pd.Timestamp | None = None) -> pd.DataFrame:
    """Terms rising in `period` (default: the last period with data) against the period before it."""
    frame = frame[frame["started_at"].notna()].copy()
    if frame.empty:
        return pd.DataFrame(columns=["period", "term", "contacts", "previous_contacts", "z"])
    frame["period"] = bucket_start(frame["started_at"], normalise_freq(freq))
    periods = sorted(frame["period"].unique())
    current_period = period if period is not None else periods[-1]
    earlier = [p for p in periods if p < current_period]
    current = _counts(frame.loc[frame["period"] == current_period, "keywords"])
    previous = _counts(frame.loc[frame["period"] == earlier[-1], "keywords"]) if earlier else Counter()
    background = _counts(frame["keywords"])
    scores = log_odds_with_prior(current, previous, background)
    rows = [{"period": current_period, "term": t, "contacts": current[t], "previous_contacts": previous.get(t, 0),
             "z": round(z, 2)}
            for t, z in scores.items() if current[t] >= min_contacts and z > 0]
    rows.sort(key=lambda r: -r["z"])
    return pd.DataFrame(rows[:top_k], columns=["period", "term", "contacts", "previous_contacts", "z"])


def emerging_by_period(frame: pd.DataFrame, freq: str = "D", top_k: int = 5, min_contacts: int = 3) -> pd.DataFrame:
    """Emerging terms for every period in turn (for the report's topic timeline)."""
    frame = frame[frame["started_at"].notna()]
    if frame.empty:
        return pd.DataFrame(columns=["period", "term", "contacts", "previous_contacts", "z"])
    periods = sorted(bucket_start(frame["started_at"], normalise_freq(freq)).unique())
    parts = [emerging_terms(frame, freq, top_k, min_contacts, p) for p in periods[1:]]
    parts = [p for p in parts if not p.empty]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["period", "term", "contacts", "previous_contacts", "z"])
