"""`python -m feedback_nlp …` is the same as the `feedback-nlp` command."""

from .cli import main

main()
