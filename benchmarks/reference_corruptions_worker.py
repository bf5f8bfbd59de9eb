"""Peer process of `corruptions_vs_reference.py`: runs the reference `imagecorruptions` package on .npy images.

Runs INSIDE the reference virtualenv (it imports only numpy and imagecorruptions, plus OpenCV to pin it to one
thread). It reads one JSON job a line on stdin and answers one JSON line on stdout:

    {"images": "in.npy", "name": "fog", "severity": 3, "seed": 7, "output": "out.npy" or null}
    -> {"seconds": [per-image wall seconds...], "cpu_seconds": [per-image CPU seconds...]}  or  {"error": "..."}

Each job seeds NumPy's global generator (what the reference draws from) with `seed`, corrupts every image of the
N x H x W x 3 uint8 array with `imagecorruptions.corrupt`, timing each call (wall clock and the process's CPU
time), and saves the results to `output`. The first line it writes names the versions it runs. The reference
prints some messages on stdout; they go to stderr so that stdout carries only the answers.
"""

from __future__ import annotations

import json
import sys
import time
from importlib import metadata

import cv2
import numpy as np
from imagecorruptions import corrupt

PACKAGES = ("imagecorruptions", "numpy", "scikit-image", "scipy", "opencv-python", "pillow", "setuptools")


def run_job(job: dict) -> dict:
    """Corrupt every image of `job["images"]` with one corruption at one severity; per-image wall and CPU seconds."""
    images = np.load(job["images"], mmap_mode="r")
    np.random.seed(job["seed"])
    corrupted = np.empty(images.shape, dtype=np.uint8)
    seconds, cpu_seconds = [], []
    for index in range(images.shape[0]):
        image = np.array(images[index])
        start, cpu_start = time.perf_counter(), time.process_time()
        corrupted[index] = corrupt(image, severity=job["severity"], corruption_name=job["name"])
        cpu_seconds.append(time.process_time() - cpu_start)
        seconds.append(time.perf_counter() - start)
    if job.get("output"):
        np.save(job["output"], corrupted)
    return {"seconds": seconds, "cpu_seconds": cpu_seconds}


def main() -> None:
    """Answer jobs from stdin until it closes."""
    cv2.setNumThreads(1)
    answers, sys.stdout = sys.stdout, sys.stderr
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    print(json.dumps({"versions": versions, "python": sys.version.split()[0]}), file=answers, flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = run_job(json.loads(line))
        except Exception as error:  # the caller reports it and goes on with the next corruption
            answer = {"error": f"{type(error).__name__}: {error}"}
        print(json.dumps(answer), file=answers, flush=True)


if __name__ == "__main__":
    main()
