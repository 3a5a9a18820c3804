"""Shared fixtures. Tests that need ../shared/datasets skip with a reason when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "datasets"


def needs_shared() -> pytest.MarkDecorator:
    return pytest.mark.skipif(not SHARED.exists(), reason=f"{SHARED} is absent (the public corpora are not beside the project)")


@pytest.fixture(scope="session")
def nlp():
    import feedback_nlp

    return feedback_nlp.load()


@pytest.fixture(scope="session")
def base_nlp():
    """Only the text-processing components, for tests of the spine that do not need the models."""
    import feedback_nlp

    return feedback_nlp.load(disable=["category", "sentiment", "emotion", "satisfaction", "escalation"])
