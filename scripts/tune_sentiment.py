"""How the sentiment model was chosen: 5-fold CV on the *training* customer turns (never the held-out part).

    python scripts/tune_sentiment.py                   # service level alone vs stacked on the review level
    python scripts/tune_sentiment.py --single 4 30     # also one model on reviews + turns, turn weights 4 and 30

Folds follow the dialogue (no dialogue on both sides). Every fold trains on the other folds' turns plus the training
part of the original corpus; the score is 3-class macro-F1 of the argmax over all training turns. `--single` fits
one model on reviews and service data together (the design before the stack) and is slow: a few minutes per fold.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_models  # noqa: E402

from feedback_nlp import recipes  # noqa: E402
from feedback_nlp.evaluation import macro_f1  # noqa: E402
from feedback_nlp.models.linear import LinearTextClassifier  # noqa: E402
from feedback_nlp.models.stacked import StackedSentimentModel  # noqa: E402

LABELS = ["negative", "neutral", "positive"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--single", nargs="*", type=float, default=[], help="turn weights for the one-model design")
    args = parser.parse_args()
    reviews = recipes.review_data()
    turns, _ = recipes.split(recipes.turn_data("sentiment"))
    original, _ = recipes.split(recipes.original_field("sentiment"))
    rng = np.random.default_rng(0)
    fold_of = {d: int(rng.integers(0, 5)) for d in sorted(set(turns.ids))}
    folds = np.array([fold_of[d] for d in turns.ids])
    started = time.time()
    first_level = StackedSentimentModel(reviews_C=train_models.SENTIMENT_C)
    first_level.reviews.fit(reviews.texts, reviews.labels, reviews.tokens)
    print(f"review level fitted in {time.time() - started:.0f} s", flush=True)

    def cross_validate(make_prediction) -> float:
        predicted = np.empty(len(turns.ids), dtype=object)
        for fold in range(5):
            train = turns.subset(np.flatnonzero(folds != fold).tolist())
            test_rows = np.flatnonzero(folds == fold)
            test = turns.subset(test_rows.tolist())
            predicted[test_rows] = make_prediction(train, test)
        return macro_f1(turns.labels, list(predicted), LABELS)

    for C in (1.0, 4.0, 16.0):
        for scale in (0.0, 0.5, 1.0, 2.0):
            def stacked(train, test, C=C, scale=scale):
                model = StackedSentimentModel(service_C=C, stack_scale=scale)
                model.reviews = first_level.reviews
                service = recipes.merge(train, original)
                weights = np.r_[np.ones(len(train.ids)), np.full(len(original.ids), train_models.ORIGINAL_WEIGHT)]
                model.fit(service.texts, service.labels, service.tokens, sample_weight=weights)
                return model.predict(test.texts, test.tokens)

            name = "service level alone" if scale == 0 else f"stacked, scale {scale:g}"
            print(f"C={C:g} {name}: macro-F1 {cross_validate(stacked):.4f}", flush=True)

    for weight in args.single:
        def single(train, test, weight=weight):
            data = recipes.merge(reviews, train, original)
            weights = np.r_[np.ones(len(reviews.ids)), np.full(len(train.ids), weight),
                            np.full(len(original.ids), train_models.ORIGINAL_WEIGHT)]
            model = LinearTextClassifier(C=train_models.SENTIMENT_C, calibrate=False)
            return model.fit(data.texts, data.labels, data.tokens, sample_weight=weights).predict(test.texts, test.tokens)

        print(f"one model on reviews + service data, turn weight {weight:g}: macro-F1 {cross_validate(single):.4f}",
              flush=True)


if __name__ == "__main__":
    main()
