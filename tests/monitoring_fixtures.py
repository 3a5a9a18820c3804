"""Synthetic scored contacts for the monitoring tests (trends, alerts, topics, store, report)."""

from __future__ import annotations

import numpy as np
import pandas as pd

CATEGORIES = ["transaction_error", "inquiry", "complaint", "other"]
# One call centre's reported mix of domestic calls (taxonomy.md).
CENTRE_MIX = [0.426, 0.227, 0.095, 0.252]


def scored_rows(n: int, start: str, end: str, seed: int = 0, mix=CENTRE_MIX, tz_suffix: str = "+08:00",
                id_prefix: str = "c") -> list[dict]:
    rng = np.random.default_rng(seed)
    times = pd.to_datetime(rng.uniform(pd.Timestamp(start).value, pd.Timestamp(end).value, n).astype("int64"))
    counts = np.round(np.array(mix) * n).astype(int)
    counts[0] += n - counts.sum()
    categories = np.repeat(CATEGORIES, counts)
    rng.shuffle(categories)
    rows = []
    for i in range(n):
        category = str(categories[i])
        negative = category in ("complaint", "transaction_error") and rng.random() < 0.6
        sentiment = float(rng.uniform(-0.9, -0.3) if negative else rng.uniform(-0.2, 0.8))
        rows.append({
            "id": f"{id_prefix}{i:06d}",
            "started_at": times[i].strftime("%Y-%m-%dT%H:%M:%S") + tz_suffix,
            "channel": str(rng.choice(["phone", "chat", "sms", "weibo"])),
            "business_line": "domestic",
            "agent_id": f"A{rng.integers(1, 11):02d}",
            "text_masked": "退款没到账" if category == "transaction_error" else "请问怎么办理",
            "category": category,
            "category_confidence": 0.9,
            "sentiment_score": sentiment,
            "sentiment_label": "negative" if sentiment < -0.2 else "positive" if sentiment > 0.2 else "neutral",
            "emotion": "anger" if negative and rng.random() < 0.3 else "none",
            "satisfaction": float(np.clip(sentiment * 1.5 + rng.normal(0, 0.3), -2, 2)),
            "resolution": float(rng.normal(0.2, 0.5)),
            "escalation_risk": float(rng.uniform(0.75, 0.95) if negative and rng.random() < 0.1 else rng.uniform(0, 0.4)),
            "keywords": ["退款", "到账"] if category == "transaction_error" else ["办理", "咨询"],
        })
    return rows


def scored_frame(rows: list[dict]) -> pd.DataFrame:
    from feedback_nlp.store import parse_times

    frame = pd.DataFrame(rows)
    frame["started_at"] = parse_times(frame["started_at"], "Asia/Shanghai")
    return frame
