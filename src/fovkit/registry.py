"""Named registries filled by decorators: duplicate names raise, unknown names raise with the closest matches."""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Callable
from typing import Generic, TypeVar

from fovkit.errors import InputError, preview

T = TypeVar("T")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class Registry(Generic[T]):
    """Entries of one kind (asset classes, background types, models...) by lower-case name.

    Args:
        kind: What an entry is, for messages ("asset class").
        lister: The public call that lists the entries, named in errors ("fovkit.render.assets.list_classes()").
        field: The user-facing field that holds a name, for errors.

    """

    def __init__(self, kind: str, lister: str, field: str) -> None:
        self.kind, self.lister, self.field = kind, lister, field
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator registering its target under `name` (a lower-case identifier used only once)."""
        if not NAME.match(name):
            raise ValueError(f"{self.kind} names are lower-case identifiers like 'wine_glass'; got {name!r}")
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered (by {self._describe(name)})")

        def decorator(entry: T) -> T:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is already registered (by {self._describe(name)})")
            self._entries[name] = entry
            return entry

        return decorator

    def names(self, pattern: str = "*") -> list[str]:
        """Sorted names that match the shell-style `pattern`."""
        return sorted(name for name in self._entries if fnmatch.fnmatchcase(name, pattern))

    def get(self, name: str) -> T:
        """The entry registered under `name`; an unknown name raises InputError with the closest matches."""
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            close = difflib.get_close_matches(str(name), list(self._entries), n=5, cutoff=0.5)
            hint = f"closest matches: {preview(close)}; " if close else ""
            raise InputError(
                f"unknown {self.kind} {name!r}; {hint}{self.lister} lists all {len(self._entries)}", field=self.field
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def _describe(self, name: str) -> str:
        return getattr(self._entries[name], "__qualname__", repr(self._entries[name]))
