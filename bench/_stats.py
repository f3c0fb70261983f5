"""Small helpers the benchmarks share: summaries of samples, memory, the machine."""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Sequence
from pathlib import Path


def summary(samples: Sequence[float], digits: int = 1) -> dict[str, object]:
    """Median, min and max of `samples`, and the samples themselves, rounded."""
    return {
        "median": round(statistics.median(samples), digits),
        "min": round(min(samples), digits),
        "max": round(max(samples), digits),
        "samples": [round(s, digits) for s in samples],
    }


def ratio_summary(numerators: Sequence[float], denominators: Sequence[float]) -> dict[str, object]:
    """Ratios taken round by round (same round, same noise), summarized."""
    return summary([n / d for n, d in zip(numerators, denominators, strict=True)], 3)


def rss_mb() -> tuple[float, float]:
    """This process's resident set now and its peak (VmRSS, VmHWM), in MB (Linux)."""
    now = peak = 0.0
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            now = int(line.split()[1]) / 1024
        elif line.startswith("VmHWM:"):
            peak = int(line.split()[1]) / 1024
    return round(now, 1), round(peak, 1)


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, object]:
    """Facts about the machine that bear on the figures."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_gb = 0.0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        first = meminfo.read_text(encoding="ascii").splitlines()[0]
        memory_gb = round(int(first.split()[1]) / 2**20, 1)
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": memory_gb,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "loadavg": loadavg(),
    }
