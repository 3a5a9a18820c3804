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


def period_counts(frame: pd.DataFrame, freq: str) -> dict[pd.Timestamp, Counter]:
    """Contacts mentioning each term, per period, in one pass over the data."""
    frame = frame[frame["started_at"].notna()]
    periods = bucket_start(frame["started_at"], normalise_freq(freq))
    return {period: _counts(part) for period, part in frame["keywords"].groupby(periods, sort=True)}


def _emerging(counts: dict, background: Counter, period, top_k: int, min_contacts: int) -> list[dict]:
    earlier = [p for p in counts if p < period]
    current, previous = counts[period], counts[earlier[-1]] if earlier else Counter()
    scores = log_odds_with_prior(current, previous, background)
    rows = [{"period": period, "term": t, "contacts": current[t], "previous_contacts": previous.get(t, 0),
             "z": round(z, 2)}
            for t, z in scores.items() if current[t] >= min_contacts and z > 0]
    return sorted(rows, key=lambda r: -r["z"])[:top_k]


COLUMNS = ["period", "term", "contacts", "previous_contacts", "z"]


def emerging_terms(frame: pd.DataFrame, freq: str = "D", top_k: int = 10, min_contacts: int = 3,
                   period: pd.Timestamp | None = None) -> pd.DataFrame:
    """Terms rising in `period` (default: the last period with data) against the period before it."""
    counts = period_counts(frame, freq)
    if not counts:
        return pd.DataFrame(columns=COLUMNS)
    background = sum(counts.values(), Counter())
    chosen = period if period is not None else max(counts)
    return pd.DataFrame(_emerging(counts, background, chosen, top_k, min_contacts), columns=COLUMNS)


def emerging_by_period(frame: pd.DataFrame, freq: str = "D", top_k: int = 5, min_contacts: int = 3,
                       last: int | None = None) -> pd.DataFrame:
    """Emerging terms for each period in turn (the last `last` periods), for the report's topic timeline."""
    counts = period_counts(frame, freq)
    background = sum(counts.values(), Counter())
    periods = sorted(counts)[1:]
    chosen = periods[-last:] if last else periods
    rows = [row for p in chosen for row in _emerging(counts, background, p, top_k, min_contacts)]
    return pd.DataFrame(rows, columns=COLUMNS)
