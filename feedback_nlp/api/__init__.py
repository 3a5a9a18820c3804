"""The HTTP tagging service (optional extra: pip install 'feedback-nlp[serve]')."""

from .app import ServiceLimits, create_app

__all__ = ["ServiceLimits", "create_app"]
