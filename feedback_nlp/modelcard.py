"""MODEL_CARD.md beside every saved model, written from its model.json so the two never disagree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .models.linear import read_model_meta


def _metric_lines(metrics: dict[str, Any]) -> list[str]:
    lines = []
    for name, value in metrics.items():
        if isinstance(value, dict) and "macro_f1" in value:
            text = f"accuracy {value.get('accuracy')}, macro-F1 {value.get('macro_f1')}"
            if "ece" in value:
                text += f", ECE {value['ece']}"
            lines.append(f"- **{name}** (n = {value.get('n')}): {text}")
            per_class = value.get("per_class", {})
            if per_class:
                lines.append("  - per class F1: " + ", ".join(f"{k} {v['f1']}" for k, v in per_class.items()))
        elif isinstance(value, dict):
            lines.append(f"- **{name}**: " + ", ".join(f"{k} {v}" for k, v in value.items()))
        else:
            lines.append(f"- **{name}**: {value}")
    return lines or ["- (not evaluated yet)"]


def write_model_card(directory: str | Path, extra: str = "") -> Path:
    directory = Path(directory)
    meta = read_model_meta(directory)
    data = meta.get("training_data", {})
    lines = [
        f"# Model card: {meta.get('name', directory.name)}",
        "",
        f"- task: {meta.get('task', '?')}",
        f"- kind: {meta.get('kind')} (format {meta.get('format_version')}; weights in safetensors, settings in model.json)",
        f"- version: {meta.get('version')}, created {meta.get('created')}, feedback-nlp {meta.get('library_version')}",
        f"- labels: {', '.join(meta.get('labels', []))}",
        "",
        "## Training data",
        "",
        str(data.get("description", "")),
        "",
        f"n = {data.get('n')}; label counts: {json.dumps(data.get('label_counts', {}), ensure_ascii=False)}",
        f"fingerprint of (id, label) pairs: {data.get('fingerprint')}",
        "",
        "## Metrics",
        "",
        *_metric_lines(meta.get("metrics", {})),
        "",
    ]
    if meta.get("reproduce"):
        lines += ["## Reproduce", "", "```", meta["reproduce"], "```", ""]
    if meta.get("limitations"):
        lines += ["## Limitations", "", meta["limitations"], ""]
    if extra:
        lines += [extra, ""]
    path = directory / "MODEL_CARD.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
