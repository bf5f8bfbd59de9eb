"""Load untrusted prediction pickles without running their code: only containers, numbers, strings and numpy arrays."""

from __future__ import annotations

import codecs
import pickle
from pathlib import Path

import numpy as np

from fovkit.errors import InputError, printable
from fovkit.tables.sniff import unreadable

PICKLE_ADVICE = "save the predictions as NPZ instead: np.savez(path, logits=logits, file_names=names)"


def _latin1_bytes(text: str, encoding: str = "latin1") -> bytes:
    """`_codecs.encode` as protocol 0-2 pickles use it for bytes (latin-1 only, so no codec is looked up by name)."""
    if encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"bytes encoded as {encoding!r}; only latin1 occurs in pickles")
    return codecs.encode(text, "latin1")


def _numpy_globals() -> dict[tuple[str, str], object]:
    """The functions and types a pickled numpy array, dtype or scalar names, under the installed and older numpy.

    Taken from numpy's own `__reduce_ex__` (arrays: `_reconstruct`; scalars: `scalar`; protocol 5: `_frombuffer`),
    each also under its `numpy.core` / `numpy._core` spelling, since numpy 2 moved `numpy.core` to `numpy._core`.
    """
    functions = (
        np.zeros(1).__reduce_ex__(2)[0],
        np.float32(0).__reduce_ex__(2)[0],
        np.zeros(1).__reduce_ex__(5)[0],
    )
    allowed: dict[tuple[str, str], object] = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}
    for function in functions:
        module = function.__module__
        for spelling in (
            module,
            module.replace("numpy._core.", "numpy.core."),
            module.replace("numpy.core.", "numpy._core."),
        ):
            allowed[(spelling, function.__name__)] = function
    return allowed


ALLOWED_GLOBALS: dict[tuple[str, str], object] = {("_codecs", "encode"): _latin1_bytes, **_numpy_globals()}
"""(module, name) -> object: every global a prediction pickle may name. Dicts, lists, tuples, strings and numbers
need none (they have their own opcodes)."""


class RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler whose `find_class` hands out only `ALLOWED_GLOBALS`; any other global raises an InputError.

    Nothing a pickle names outside that list is imported or called, so `__reduce__` tricks (`os.system`,
    `builtins.eval`, ...) never run.
    """

    def __init__(self, file: object, path: Path) -> None:
        super().__init__(file)
        self.path = path

    def find_class(self, module: str, name: str) -> object:
        """The allowed object for `module.name`, or an InputError naming the forbidden global."""
        allowed = ALLOWED_GLOBALS.get((module, name))
        if allowed is None:
            raise InputError(
                f"the pickle refers to {printable(repr(f'{module}.{name}'), 120)}, which a prediction pickle never "
                f"needs; fovkit loads pickles with a restricted unpickler (dicts, lists, strings, numbers and numpy "
                f"arrays only) and runs nothing. If the file is yours, {PICKLE_ADVICE}",
                path=self.path,
                field="format",
            )
        return allowed

    def persistent_load(self, pid: object) -> object:
        """Refuse persistent ids (torch.save-style references to tensors stored outside the pickle)."""
        raise InputError(
            f"the pickle holds references to outside storage (a torch.save file?); {PICKLE_ADVICE}",
            path=self.path,
            field="format",
        )


def load_pickle(path: Path) -> object:
    """Unpickle `path` with `RestrictedUnpickler`; every failure is one InputError naming the file."""
    try:
        with Path(path).open("rb") as handle:
            return RestrictedUnpickler(handle, Path(path)).load()
    except InputError:
        raise
    except OSError as error:
        raise unreadable(Path(path), error) from error
    except Exception as error:  # untrusted bytes: truncation, bad opcodes, wrong arguments to allowed globals...
        raise InputError(
            f"not a readable pickle ({type(error).__name__}: {printable(error, 120)}); {PICKLE_ADVICE}",
            path=path,
            field="format",
        ) from error
