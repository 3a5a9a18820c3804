"""The component protocol shared by every pipeline step: `__call__(doc)` for one contact, `pipe(docs)` for a batch."""

from __future__ import annotations

from collections.abc import Iterable

from .schema import Analysis


class DocComponent:
    """A component that annotates each contact on its own; subclasses implement `process(doc)`."""

    requires: tuple[str, ...] = ()

    def process(self, doc: Analysis) -> None:
        raise NotImplementedError

    def __call__(self, doc: Analysis) -> Analysis:
        return self.pipe([doc])[0]

    def pipe(self, docs: Iterable[Analysis]) -> list[Analysis]:
        docs = docs if isinstance(docs, list) else list(docs)
        for doc in docs:
            self.process(doc)
        return docs
