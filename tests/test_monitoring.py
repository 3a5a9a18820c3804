import json

import numpy as np
import pandas as pd
import pytest
from monitoring_fixtures import CATEGORIES, CENTRE_MIX, scored_frame, scored_rows

from feedback_nlp import errors
from feedback_nlp.alerts import AlertSettings, find_alerts
from feedback_nlp.store import ResultsStore, parse_times
from feedback_nlp.topics import emerging_terms, log_odds_with_prior
from feedback_nlp.trends import compute_trends, load_scored


def test_fixture_day_reproduces_the_call_centre_mix(tmp_path):
    rows = scored_rows(1000, "2026-11-02 00:00", "2026-11-02 23:59")
    with ResultsStore(tmp_path / "r.duckdb") as store:
        store.append(rows)
    table = compute_trends(load_scored(tmp_path / "r.duckdb"), "D")
    assert len(table) == 1 and table["contacts"].iloc[0] == 1000
    for category, share in zip(CATEGORIES, CENTRE_MIX):
        assert table[f"share_{category}"].iloc[0] == pytest.approx(share, abs=0.0011)


def test_missing_buckets_are_zero_and_changes_computed():
    rows = scored_rows(10, "2026-11-02 09:00", "2026-11-02 09:10", id_prefix="a")
    rows += scored_rows(10, "2026-11-02 11:00", "2026-11-02 11:10", seed=1, id_prefix="b")
    table = compute_trends(scored_frame(rows), "15min")
    assert table["contacts"].tolist() == [10, 0, 0, 0, 0, 0, 0, 0, 10]
    assert table["contacts_change"].tolist()[1] == -10


def test_time_zones_with_and_without_offsets():
    times = pd.Series(["2026-11-02T01:30:00Z", "2026-11-02 09:30:00", "2026-11-02T09:30:00+08:00"])
    parsed = parse_times(times, "Asia/Shanghai")
    assert parsed.nunique() == 1  # all three are 09:30 in Shanghai
    rows = scored_rows(4, "2026-11-02 00:10", "2026-11-02 00:20")  # 00:10 +08:00 is the previous day in UTC
    assert compute_trends(scored_frame(rows), "D")["bucket"].iloc[0].day == 2
    assert compute_trends(scored_frame(rows), "D", tz="UTC")["bucket"].iloc[0].day == 1


def test_group_by_and_weekly_monthly():
    frame = scored_frame(scored_rows(500, "2026-11-02", "2026-11-29"))
    by_channel = compute_trends(frame, "W", ["channel"])
    assert set(by_channel["channel"]) == {"phone", "chat", "sms", "weibo"}
    assert by_channel["bucket"].dt.day_of_week.eq(0).all()
    assert compute_trends(frame, "M")["contacts"].sum() == 500
    with pytest.raises(errors.InputError, match="Cannot group by"):
        compute_trends(frame, "D", ["shoe_size"])
    with pytest.raises(errors.InputError, match="Unknown --freq"):
        compute_trends(frame, "fortnight")


def month_of_contacts(seed: int, spike: pd.Timestamp | None = None) -> pd.DataFrame:
    """A month in 15-minute buckets, daytime-heavy volume, binomial noise around a stable category mix."""
    rng = np.random.default_rng(seed)
    rows = []
    for bucket in pd.date_range("2026-10-01", "2026-10-31 23:45", freq="15min", tz="Asia/Shanghai"):
        busy = 8 <= bucket.hour < 20
        n = rng.poisson(60 if busy else 6)
        complaint_p = 0.5 if spike is not None and bucket == spike else 0.1
        for k in range(n):
            category = "complaint" if rng.random() < complaint_p else str(rng.choice(["inquiry", "transaction_error"]))
            rows.append((bucket + pd.Timedelta(seconds=int(rng.integers(0, 900))), category))
    frame = pd.DataFrame(rows, columns=["started_at", "category"])
    frame["sentiment_label"] = "neutral"
    frame["sentiment_score"] = 0.0
    frame["emotion"] = "none"
    frame["satisfaction"] = np.random.default_rng(seed + 1).normal(0.3, 0.8, len(frame)).clip(-2, 2)
    frame["escalation_risk"] = 0.1
    return frame


def test_stable_month_raises_no_alert():
    alerts = find_alerts(month_of_contacts(seed=3), "15min")
    assert alerts == [], [a.describe() for a in alerts]


def test_injected_complaint_spike_is_exactly_the_alert():
    spike = pd.Timestamp("2026-10-17 14:30", tz="Asia/Shanghai")
    alerts = find_alerts(month_of_contacts(seed=3, spike=spike), "15min")
    assert [(a.metric, pd.Timestamp(a.bucket)) for a in alerts] == [("share_complaint", spike)]
    alert = alerts[0]
    assert alert.value > 0.35 and alert.baseline < 0.15 and alert.change > 0.2 and alert.contacts >= 20


def test_min_count_guard_keeps_night_buckets_quiet():
    frame = month_of_contacts(seed=5)
    night = pd.Timestamp("2026-10-20 03:00", tz="Asia/Shanghai")
    extra = pd.DataFrame({"started_at": [night + pd.Timedelta(minutes=1)] * 4, "category": ["complaint"] * 4,
                          "sentiment_label": "negative", "sentiment_score": -0.9, "emotion": "anger",
                          "satisfaction": -2.0, "escalation_risk": 0.9})
    frame = pd.concat([frame[~frame["started_at"].between(night, night + pd.Timedelta(minutes=14))], extra])
    assert find_alerts(frame, "15min") == []  # 4 angry calls at 3 a.m. page nobody


def test_alert_rules_come_from_config():
    settings = AlertSettings.from_config({"monitoring": {"alerts": {"warmup": 2, "rules": [
        {"metric": "share_complaint", "threshold": 3.0, "min_count": 5}]}}})
    assert settings.warmup == 2 and [r.metric for r in settings.rules] == ["share_complaint"]
    with pytest.raises(errors.ConfigError):
        AlertSettings.from_config({"monitoring": {"alerts": {"rules": [{"metric": "x", "direction": "sideways"}]}}})


def test_emerging_terms_find_the_new_problem():
    rows = scored_rows(300, "2026-11-05 08:00", "2026-11-05 20:00", id_prefix="a")
    rows += scored_rows(300, "2026-11-06 08:00", "2026-11-06 20:00", seed=2, id_prefix="b")
    for row in rows[300:340]:
        row["keywords"] = ["新版", "app", "闪退"]
    terms = emerging_terms(scored_frame(rows), "D")
    assert set(terms["term"].head(3)) == {"新版", "app", "闪退"}
    scores = log_odds_with_prior({"a": 10, "b": 10}, {"a": 10, "b": 10}, {"a": 20, "b": 20})
    assert abs(scores["a"]) < 1e-9


def test_store_is_idempotent_and_versioned(tmp_path):
    rows = scored_rows(50, "2026-11-02", "2026-11-03")
    path = tmp_path / "r.duckdb"
    with ResultsStore(path) as store:
        store.append(rows)
        store.append(rows)  # the same input again
        assert store.count() == 50 and store.schema_version == 1
        record = store.records([rows[0]["id"]])[0]
        assert record == json.loads(json.dumps(rows[0]))
    with ResultsStore(path) as store:  # reopening keeps data and time zone
        assert store.count() == 50 and store.tz == "Asia/Shanghai"
        store.conn.execute("UPDATE store_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(errors.InputError, match="schema version 99"):
        ResultsStore(path)


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_trends_read_scored_files(tmp_path, suffix):
    from feedback_nlp.io import open_sink

    rows = scored_rows(100, "2026-11-02", "2026-11-04")
    path = tmp_path / f"scored{suffix}"
    with open_sink(path, ["id"]) as sink:
        sink.write(rows)
    table = compute_trends(load_scored(path), "D")
    assert table["contacts"].sum() == 100
