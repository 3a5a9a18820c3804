"""Component registry: pipeline files name components, this maps the names to classes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import errors

_COMPONENTS: dict[str, type] = {}
BUILTIN_MODULES = (
    "normalize", "pii", "segment", "keywords", "category", "sentiment", "emotion", "satisfaction", "escalation",
)


def register(name: str) -> Callable[[type], type]:
    """Class decorator: make a component available to pipeline files under `name`."""

    def wrap(cls: type) -> type:
        _COMPONENTS[name] = cls
        cls.component_name = name  # type: ignore[attr-defined]
        return cls

    return wrap


def get_component_class(name: str) -> type:
    _import_builtin_components()
    if name not in _COMPONENTS:
        raise errors.unknown_component(name, list(_COMPONENTS))
    return _COMPONENTS[name]


def known_components() -> list[str]:
    _import_builtin_components()
    return sorted(_COMPONENTS)


def _import_builtin_components() -> None:
    # Importing the modules runs their @register decorators.
    import importlib

    for module in BUILTIN_MODULES:
        importlib.import_module(f"feedback_nlp.{module}")


def build_component(name: str, settings: dict[str, Any], base_dir: Any) -> Any:
    cls = get_component_class(name)
    factory = getattr(cls, "from_config", None)
    if factory is not None:
        return factory(settings, base_dir)
    try:
        return cls(**settings)
    except TypeError as exc:
        raise errors.ConfigError(f"Bad settings for component {name!r}: {exc}") from exc
