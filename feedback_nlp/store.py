"""The results store: scored contacts in an embedded DuckDB file, idempotent on id, with a versioned schema.

Columns that trends and reports group or filter on are real columns; the full output record is kept as JSON in
`record`, so nothing in the output schema is lost. Naive timestamps are read in the store's time zone
(`Asia/Shanghai` unless set) and everything is stored as TIMESTAMPTZ.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from . import errors

SCHEMA_VERSION = 1
DEFAULT_TZ = "Asia/Shanghai"
TIME_COLUMNS = ("started_at", "timestamp", "time", "created_at", "datetime", "date", "call_time", "start_time")
GROUP_COLUMNS = ("channel", "business_line", "agent_id")

CREATE_V1 = """
CREATE TABLE IF NOT EXISTS contacts (
    id VARCHAR PRIMARY KEY,
    started_at TIMESTAMPTZ,
    channel VARCHAR,
    business_line VARCHAR,
    agent_id VARCHAR,
    category VARCHAR,
    category_confidence DOUBLE,
    sentiment_score DOUBLE,
    sentiment_label VARCHAR,
    emotion VARCHAR,
    satisfaction DOUBLE,
    resolution DOUBLE,
    escalation_risk DOUBLE,
    keywords VARCHAR[],
    text_masked VARCHAR,
    record JSON,
    ingested_at TIMESTAMPTZ DEFAULT current_timestamp
);
CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
"""
# Ordered migrations: MIGRATIONS[v] brings a store from version v to v + 1.
MIGRATIONS: dict[int, Callable[[Any], None]] = {}

STORE_COLUMNS = ["id", "started_at", "channel", "business_line", "agent_id", "category", "category_confidence",
                 "sentiment_score", "sentiment_label", "emotion", "satisfaction", "resolution", "escalation_risk",
                 "keywords", "text_masked", "record"]


def find_time_column(columns: list[str], preferred: str | None = None) -> str | None:
    if preferred:
        return preferred if preferred in columns else None
    return next((c for c in TIME_COLUMNS if c in columns), None)


def parse_times(values: pd.Series, tz: str) -> pd.Series:
    """Mixed naive and offset timestamps to tz-aware ones: naive values are local time in `tz`."""
    strings = values.astype("string")
    has_offset = strings.str.contains(r"(?:[+-]\d{2}:?\d{2}|Z)$", regex=True, na=False)
    out = pd.Series(pd.NaT, index=values.index, dtype=f"datetime64[ns, {tz}]")
    if has_offset.any():
        out[has_offset] = pd.to_datetime(strings[has_offset], utc=True, errors="coerce", format="mixed").dt.tz_convert(tz)
    naive = ~has_offset & strings.notna()
    if naive.any():
        local = pd.to_datetime(strings[naive], errors="coerce", format="mixed")
        out[naive] = local.dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
    return out


def records_frame(rows: list[dict[str, Any]], tz: str, time_col: str | None = None) -> pd.DataFrame:
    """Output rows (the analyze schema) as a frame with the store's columns."""
    frame = pd.DataFrame(rows)
    column = find_time_column(list(frame.columns), time_col)
    frame["started_at"] = parse_times(frame[column], tz) if column else pd.NaT
    for name in STORE_COLUMNS:
        if name not in frame.columns:
            frame[name] = None
    frame["id"] = frame["id"].astype(str)
    for name in GROUP_COLUMNS:
        frame[name] = frame[name].map(lambda v: None if v is None or v != v else str(v))
    frame["keywords"] = frame["keywords"].map(lambda v: list(v) if isinstance(v, list) else [])
    frame["record"] = [json.dumps(r, ensure_ascii=False, default=str) for r in rows]
    return frame[STORE_COLUMNS]


class ResultsStore:
    def __init__(self, path: str | Path, tz: str | None = None, time_col: str | None = None):
        import duckdb

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = duckdb.connect(str(self.path))
        except duckdb.Error as exc:
            raise errors.InputError(f"Cannot open the results store {self.path}: {exc}") from exc
        self.conn.execute(CREATE_V1)
        self._migrate()
        stored_tz = self._meta("timezone")
        self.tz = tz or stored_tz or DEFAULT_TZ
        if stored_tz is None:
            self._set_meta("timezone", self.tz)
        self.time_col = time_col

    def _meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM store_meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO store_meta VALUES (?, ?)", [key, value])

    @property
    def schema_version(self) -> int:
        return int(self._meta("schema_version") or SCHEMA_VERSION)

    def _migrate(self) -> None:
        version = int(self._meta("schema_version") or SCHEMA_VERSION)
        if version > SCHEMA_VERSION:
            raise errors.InputError(
                f"The store {self.path} has schema version {version}; this feedback-nlp reads up to {SCHEMA_VERSION}. "
                "Upgrade feedback-nlp."
            )
        while version < SCHEMA_VERSION:
            MIGRATIONS[version](self.conn)
            version += 1
        self._set_meta("schema_version", str(version))

    def append(self, rows: list[dict[str, Any]]) -> int:
        """Insert or replace by id: re-running the same input never duplicates a contact."""
        if not rows:
            return 0
        frame = records_frame(rows, self.tz, self.time_col)  # noqa: F841 - read by DuckDB by name
        self.conn.execute(f"INSERT OR REPLACE INTO contacts ({', '.join(STORE_COLUMNS)}) "
                          f"SELECT {', '.join(STORE_COLUMNS)} FROM frame")
        return len(rows)

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM contacts").fetchone()[0])

    def frame(self, columns: list[str] | None = None) -> pd.DataFrame:
        selected = ", ".join(columns or [c for c in STORE_COLUMNS if c != "record"])
        frame = self.conn.execute(f"SELECT {selected} FROM contacts").df()
        if "started_at" in frame:
            frame["started_at"] = pd.to_datetime(frame["started_at"], utc=True).dt.tz_convert(self.tz)
        return frame

    def records(self, ids: list[str]) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT record FROM contacts WHERE id IN (SELECT unnest(?))", [ids]).fetchall()
        return [json.loads(r[0]) for r in rows]

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
