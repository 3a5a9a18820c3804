"""Measure the shipped models on data they never saw (`make evaluate`), beside SnowNLP and cnsenti on the same texts.

    python scripts/evaluate_models.py [category sentiment turns emotion satisfaction speed]

Writes models/evaluation.json and models/EVALUATION.md, stores each model's numbers in its model.json, rewrites its
MODEL_CARD.md, and refreshes the models table in README.md. Held-out data: the fixed 20% hash split of the labelled
STC-3 dialogues and turns and of the original corpus (never used for training or tuning), and, for review
sentiment, leave-one-domain-out retraining (each file and each online-shopping category left out in turn).
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import numpy as np

from feedback_nlp import recipes
from feedback_nlp.datasets import is_held_out, load_stc3, score_distribution
from feedback_nlp.emotion import LexiconEmotion
from feedback_nlp.evaluation import classification_report, macro_f1, normalised_match_distance
from feedback_nlp.modelcard import write_model_card
from feedback_nlp.models import load_model
from feedback_nlp.models.linear import read_model_meta
from feedback_nlp.satisfaction import SatisfactionModel
from feedback_nlp.sentiment import band_labels, sentiment_scores

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
RESULTS = MODELS / "evaluation.json"
SNOWNLP_SAMPLE = 1500  # SnowNLP runs ~200 texts/s: this many reviews per domain, the same texts for every tool


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def snownlp_scores(texts: list[str]) -> np.ndarray:
    from snownlp import SnowNLP

    return np.array([SnowNLP(t).sentiments if t.strip() else 0.5 for t in texts])


def cnsenti_scores(texts: list[str]) -> np.ndarray:
    from cnsenti import Sentiment

    scorer = Sentiment()
    out = []
    for text in texts:
        counts = scorer.sentiment_count(text)
        out.append((counts["pos"] - counts["neg"]) / max(counts["pos"] + counts["neg"], 1))
    return np.array(out)


def best_band_f1(scores: np.ndarray, gold: list[str], grid: np.ndarray) -> tuple[float, tuple[float, float]]:
    """A baseline's best 3-class macro-F1 over every neutral band (chosen on the test turns: generous to it)."""
    best, band = -1.0, (0.0, 0.0)
    for low in grid:
        for high in grid[grid >= low]:
            f1 = macro_f1(gold, band_labels(scores, (low, high)), ["negative", "neutral", "positive"])
            if f1 > best:
                best, band = f1, (float(low), float(high))
    return round(best, 4), band


def evaluate_category() -> dict:
    model = load_model(MODELS / "category")
    _, held = recipes.split(recipes.category_stc3())
    proba = model.predict_proba(held.texts, held.tokens)
    predicted = [model.labels_[i] for i in proba.argmax(axis=1)]
    result = {"stc3_heldout": classification_report(held.labels, predicted, model.labels_, proba, model.labels_)}
    # The same, with the default pipeline's exact rules on top.
    from feedback_nlp.pipeline import load

    category = load(disable=("sentiment", "emotion", "satisfaction", "escalation", "keywords")).get_pipe("category")
    with_rules = []
    for text, label in zip(held.texts, predicted, strict=True):
        rule = category.matching_rule(text, label)
        with_rules.append(rule.label if rule else label)
    result["stc3_heldout_with_rules"] = classification_report(held.labels, with_rules, model.labels_)
    _, original = recipes.split(recipes.category_original())
    predicted = model.predict(original.texts, original.tokens)
    result["original_heldout"] = classification_report(original.labels, predicted, model.labels_)
    # Per source: each domain and each channel of the original corpus (domain x channel cells are too small).
    per_source = {}
    for kind, position in (("domain", 0), ("channel", 1)):
        for source in sorted({g.split("/")[position] for g in original.groups}):
            rows = [i for i, g in enumerate(original.groups) if g.split("/")[position] == source]
            report = classification_report([original.labels[i] for i in rows], [predicted[i] for i in rows],
                                           model.labels_)
            per_source[f"{kind}: {source}"] = {k: report[k] for k in ("n", "accuracy", "macro_f1")}
    result["original_heldout_per_source"] = per_source
    return result


def lodo() -> dict:
    import train_models

    turns, _ = recipes.split(recipes.turn_data("sentiment"))
    original, _ = recipes.split(recipes.original_field("sentiment"))
    rows, rng = [], np.random.default_rng(0)
    for domain in recipes.review_domains():
        train_reviews, test = recipes.lodo_split(domain)
        excluded = recipes.excluded_original_domains(domain)
        keep = [i for i, g in enumerate(original.groups) if g.split("/")[0] not in excluded]
        model = train_models.sentiment_model(train_reviews, turns, original.subset(keep))
        gold = np.array(test.labels) == "positive"
        ours = sentiment_scores(model.labels_, model.predict_proba(test.texts, test.tokens)) > 0
        sample = rng.choice(len(test.ids), size=min(SNOWNLP_SAMPLE, len(test.ids)), replace=False)
        texts = [recipes.review_text(test.ids[i]) for i in sample]
        snow = snownlp_scores(texts) > 0.5
        cn = cnsenti_scores(texts) > 0
        row = {"domain": domain, "n": len(test.ids), "accuracy": round(float(np.mean(ours == gold)), 4),
               "sample_n": len(sample), "accuracy_on_sample": round(float(np.mean(ours[sample] == gold[sample])), 4),
               "snownlp_on_sample": round(float(np.mean(snow == gold[sample])), 4),
               "cnsenti_on_sample": round(float(np.mean(cn == gold[sample])), 4)}
        rows.append(row)
        log(f"LODO {row}")
    mean = {k: round(float(np.mean([r[k] for r in rows])), 4)
            for k in ("accuracy", "accuracy_on_sample", "snownlp_on_sample", "cnsenti_on_sample")}
    return {"per_domain": rows, "mean": mean}


def evaluate_turns() -> dict:
    model = load_model(MODELS / "sentiment")
    band = tuple(read_model_meta(MODELS / "sentiment")["neutral_band"])
    _, held = recipes.split(recipes.turn_data("sentiment"))
    scores = sentiment_scores(model.labels_, model.predict_proba(held.texts, held.tokens))
    labels = ["negative", "neutral", "positive"]
    result = {"ours": classification_report(held.labels, band_labels(scores, band), labels)}
    texts = [recipes.turn_text(i) for i in held.keys]
    grid = np.round(np.arange(-1.0, 1.01, 0.05), 2)
    snow = snownlp_scores(texts) * 2 - 1
    result["snownlp_best_band_macro_f1"], result["snownlp_band"] = best_band_f1(snow, held.labels, grid)
    result["cnsenti_best_band_macro_f1"], result["cnsenti_band"] = best_band_f1(cnsenti_scores(texts), held.labels, grid)
    return result


def evaluate_emotion() -> dict:
    model = load_model(MODELS / "emotion")
    _, held = recipes.split(recipes.turn_data("emotion"))
    predicted = model.predict(held.texts, held.tokens)
    counts = {label: held.labels.count(label) for label in set(held.labels)}
    frequent = sorted(label for label, n in counts.items() if n >= 20)
    ours = classification_report(held.labels, predicted, model.labels_)
    lexicon = classification_report(held.labels, LexiconEmotion().predict(held.tokens), model.labels_)
    from cnsenti import Emotion

    scorer, names = Emotion(), {"乐": "joy", "好": "like", "怒": "anger", "哀": "sadness", "惧": "fear", "恶": "disgust", "惊": "surprise"}
    cn = []
    for text in [recipes.turn_text(i) for i in held.keys]:
        counts_cn = {names[k]: v for k, v in scorer.emotion_count(text).items() if k in names}
        best = max(counts_cn, key=counts_cn.get)
        cn.append(best if counts_cn[best] > 0 else "none")
    cnsenti = classification_report(held.labels, cn, model.labels_)
    return {"ours": ours, "lexicon_baseline": lexicon, "cnsenti": cnsenti, "frequent_classes": frequent,
            "macro_f1_frequent": {name: round(macro_f1(held.labels, pred, frequent), 4) for name, pred in
                                  (("ours", predicted), ("lexicon_baseline", LexiconEmotion().predict(held.tokens)),
                                   ("cnsenti", cn))}}


def evaluate_satisfaction() -> dict:
    docs = recipes.stc3_docs(with_sentiment=True)
    held = [d for d in load_stc3() if is_held_out(str(d["id"])) and str(d["id"]) in docs]
    train = [d for d in load_stc3() if not is_held_out(str(d["id"])) and str(d["id"]) in docs]
    batch = [docs[str(d["id"])] for d in held]
    predicted = SatisfactionModel.load(MODELS / "satisfaction").predict_proba(batch)
    result = {}
    for score, name in (("S", "satisfaction"), ("A", "resolution")):
        gold = np.array([score_distribution(d, score) for d in held])
        prior = np.mean([score_distribution(d, score) for d in train], axis=0)
        result[name] = {"n": len(held), "nmd": round(float(normalised_match_distance(predicted[score], gold).mean()), 4),
                        "prior_nmd": round(float(normalised_match_distance(np.tile(prior, (len(held), 1)), gold).mean()), 4)}
    return result


def evaluate_speed() -> dict:
    """Texts per second of each model alone (features included), on 5,000 held-out-free review texts."""
    data = recipes.review_data()
    texts, tokens = data.texts[:5000], data.tokens[:5000]
    out = {}
    for folder in ("category", "sentiment", "emotion"):
        model = load_model(MODELS / folder)
        started = time.perf_counter()
        for start in range(0, len(texts), 256):
            model.predict_proba(texts[start : start + 256], tokens[start : start + 256])
        out[folder] = round(len(texts) / (time.perf_counter() - started))
    return out


STEPS = {"category": evaluate_category, "sentiment": lodo, "turns": evaluate_turns, "emotion": evaluate_emotion,
         "satisfaction": evaluate_satisfaction, "speed": evaluate_speed}


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for step in sys.argv[1:] or list(STEPS):
        log(f"evaluating {step}")
        results[step] = STEPS[step]()
    results["date"] = time.strftime("%Y-%m-%d")
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    record_metrics(results)
    markdown = models_table(results)
    (MODELS / "EVALUATION.md").write_text(markdown, encoding="utf-8")
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    text = re.sub(r"<!-- models:start -->.*<!-- models:end -->|MODELS_TABLE",
                  lambda _: f"<!-- models:start -->\n{markdown}<!-- models:end -->", text, flags=re.S)
    readme.write_text(text, encoding="utf-8")
    log("wrote models/evaluation.json, models/EVALUATION.md and the README models table")


def record_metrics(results: dict) -> None:
    """Each model's own numbers into its model.json, then its model card is rewritten from that."""
    metrics = {
        "category": {k: results.get("category", {}).get(k) for k in ("stc3_heldout", "stc3_heldout_with_rules", "original_heldout")},
        "sentiment": {"leave_one_domain_out_accuracy": results.get("sentiment", {}).get("mean"),
                      "heldout_customer_turns_3class": results.get("turns", {}).get("ours")},
        "emotion": {"heldout_customer_turns": results.get("emotion", {}).get("ours"),
                    "macro_f1_classes_with_20_examples": results.get("emotion", {}).get("macro_f1_frequent", {}).get("ours")},
        "satisfaction": {"heldout_nmd_S_satisfaction": results.get("satisfaction", {}).get("satisfaction"),
                         "heldout_nmd_A_resolution": results.get("satisfaction", {}).get("resolution")},
    }
    for folder, values in metrics.items():
        path = MODELS / folder / "model.json"
        if not path.exists():
            continue
        meta = json.loads(path.read_text(encoding="utf-8"))
        meta["metrics"] = {k: v for k, v in values.items() if v is not None}
        if folder in results.get("speed", {}):
            meta["metrics"]["texts_per_second"] = results["speed"][folder]
        path.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        write_model_card(MODELS / folder)


def models_table(r: dict) -> str:
    cmd = "`python scripts/evaluate_models.py` (`make evaluate`)"
    lines = [f"Measured {r.get('date')} by {cmd}; held-out data never used for training or tuning.", "",
             "| model | task | evaluated on | metric | feedback-nlp | SnowNLP | cnsenti | texts/s |",
             "|---|---|---|---|---|---|---|---|"]
    speed = r.get("speed", {})
    c = r.get("category")
    if c:
        h = c["stc3_heldout"]
        lines.append(f"| `models/category` | category | {h['n']} held-out STC-3 dialogues | macro-F1 / accuracy | "
                     f"{h['macro_f1']:.3f} / {h['accuracy']:.3f} | – | – | {speed.get('category', '–')} |")
        w = c["stc3_heldout_with_rules"]
        lines.append(f"| + rules (`pipelines/default.toml`) | category | same | macro-F1 / accuracy | "
                     f"{w['macro_f1']:.3f} / {w['accuracy']:.3f} | – | – | |")
        o = c["original_heldout"]
        lines.append(f"| `models/category` | category | {o['n']} held-out original examples | macro-F1 / accuracy | "
                     f"{o['macro_f1']:.3f} / {o['accuracy']:.3f} | – | – | |")
    s = r.get("sentiment")
    if s:
        m = s["mean"]
        lines.append(f"| `models/sentiment` | review sentiment | leave-one-domain-out, {len(s['per_domain'])} domains "
                     f"(same {SNOWNLP_SAMPLE}-text samples for all tools) | accuracy | {m['accuracy_on_sample']:.3f} "
                     f"(all texts {m['accuracy']:.3f}) | {m['snownlp_on_sample']:.3f} | {m['cnsenti_on_sample']:.3f} | "
                     f"{speed.get('sentiment', '–')} |")
    t = r.get("turns")
    if t:
        lines.append(f"| `models/sentiment` | 3-class turn sentiment | {t['ours']['n']} held-out customer turns | macro-F1 | "
                     f"{t['ours']['macro_f1']:.3f} | {t['snownlp_best_band_macro_f1']:.3f} (best band) | "
                     f"{t['cnsenti_best_band_macro_f1']:.3f} (best band) | |")
    e = r.get("emotion")
    if e:
        lines.append(f"| `models/emotion` | emotion (8 classes) | {e['ours']['n']} held-out customer turns | macro-F1 over "
                     f"classes with ≥20 examples ({', '.join(e['frequent_classes'])}) | {e['macro_f1_frequent']['ours']:.3f} "
                     f"| – | {e['macro_f1_frequent']['cnsenti']:.3f} (bare DUTIR lexicon: "
                     f"{e['macro_f1_frequent']['lexicon_baseline']:.3f}) | {speed.get('emotion', '–')} |")
    sat = r.get("satisfaction")
    if sat:
        for name in ("satisfaction", "resolution"):
            v = sat[name]
            lines.append(f"| `models/satisfaction` ({name}) | STC-3 {'S' if name == 'satisfaction' else 'A'}-score distribution | "
                         f"{v['n']} held-out dialogues | NMD (lower is better) | {v['nmd']:.4f} (prior {v['prior_nmd']:.4f}) | – | – | |")
    if s:
        lines += ["", "Leave-one-domain-out review sentiment, per domain left out:", "",
                  "| domain | texts | feedback-nlp (all) | feedback-nlp (sample) | SnowNLP (sample) | cnsenti (sample) |",
                  "|---|---|---|---|---|---|"]
        for row in s["per_domain"]:
            lines.append(f"| {row['domain']} | {row['n']} | {row['accuracy']:.3f} | {row['accuracy_on_sample']:.3f} | "
                         f"{row['snownlp_on_sample']:.3f} | {row['cnsenti_on_sample']:.3f} |")
    if c:
        lines += ["", "Category, per class on held-out STC-3 dialogues:", "", "| class | precision | recall | F1 | support |",
                  "|---|---|---|---|---|"]
        for label, v in c["stc3_heldout"]["per_class"].items():
            lines.append(f"| {label} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} |")
        lines += ["", "Category on held-out original examples, per domain and per channel:", "",
                  "| source | n | accuracy | macro-F1 |", "|---|---|---|---|"]
        for source, v in c["original_heldout_per_source"].items():
            lines.append(f"| {source} | {v['n']} | {v['accuracy']:.3f} | {v['macro_f1']:.3f} |")
    if e:
        lines += ["", "Emotion, per class on held-out customer turns (F1):", "", "| class | support | feedback-nlp | bare lexicon | cnsenti |",
                  "|---|---|---|---|---|"]
        for label, v in e["ours"]["per_class"].items():
            lines.append(f"| {label} | {v['support']} | {v['f1']:.3f} | {e['lexicon_baseline']['per_class'][label]['f1']:.3f} | "
                         f"{e['cnsenti']['per_class'][label]['f1']:.3f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
