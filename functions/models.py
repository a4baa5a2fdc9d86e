"""How routes name their request and response models without importing them: a `ModelRef` imports its
model on first use, so declaring routes imports no pydantic and a cold request pays only for the models
its own route validates (a GET without query parameters: none, and not pydantic itself)."""

from __future__ import annotations

import importlib
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import BaseModel


class ModelRef:
    """A request or response model named by its module and class, imported on first use."""

    def __init__(self, module: str, name: str, paged: bool = False) -> None:
        self.module, self.name, self.paged = module, name, paged

    @cached_property
    def model(self) -> type[BaseModel]:
        model = getattr(importlib.import_module(self.module), self.name)
        if self.paged:
            from functions.schemas.out import page_of as page_model

            model = page_model(model)
        return model

    def __repr__(self) -> str:
        return f"{self.module}:{self.name}{' (page)' if self.paged else ''}"


class Models:
    """The models of one module, by attribute: `Models("shared.commands.patients").PatientCreate`."""

    def __init__(self, module: str) -> None:
        self._module = module

    def __getattr__(self, name: str) -> ModelRef:
        return ModelRef(self._module, name)


def page_of(item: ModelRef) -> ModelRef:
    """The list shape of `item` (`{"items": [...], "next_cursor": ...}`: functions/schemas/out.page_of)."""
    return ModelRef(item.module, item.name, paged=True)
