"""Named registries filled by decorators: duplicate names raise, unknown names raise with the closest matches."""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from fovkit.errors import InputError, preview

T = TypeVar("T")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def close_matches(name: str, candidates: Sequence[str], limit: int = 5) -> list[str]:
    """Up to `limit` candidates closest to `name`, compared case-insensitively."""
    lowered: dict[str, str] = {}
    for candidate in candidates:
        lowered.setdefault(candidate.lower(), candidate)
    return [lowered[match] for match in difflib.get_close_matches(name.lower(), list(lowered), n=limit, cutoff=0.5)]


def unknown_name(kind: str, name: object, candidates: Sequence[str], lister: str, field: str) -> InputError:
    """InputError for a name nobody registered: the closest matches and the call that lists them all."""
    close = close_matches(str(name), candidates)
    hint = f"closest matches: {preview(close)}; " if close else ""
    return InputError(f"unknown {kind} {name!r}; {hint}{lister} lists all {len(candidates)}", field=field)


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
            raise unknown_name(self.kind, name, list(self._entries), self.lister, self.field) from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def _describe(self, name: str) -> str:
        return getattr(self._entries[name], "__qualname__", repr(self._entries[name]))
