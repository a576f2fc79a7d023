#!/usr/bin/env python3
"""mypy with a baseline that only shrinks (``make lint``).

Runs mypy as configured in pyproject.toml, counts the errors per file and compares them with
``mypy-baseline.txt`` (one ``<path> <count>`` a line):

- a file with more errors than its baseline entry (a file without an entry has 0) fails;
- ``workflow/`` and ``app/services/`` are strict: any error there fails, except under a
  temporary entry of the baseline's strict section, which is reported on every run until it
  is gone;
- a file with fewer errors than its entry passes, with a hint to lower the baseline.

``--update`` lowers the baseline to the current counts: entries only go down or disappear,
never up, and no file is added. ``--reset`` writes the current counts as they are, new files
and strict packages included: for a new mypy version or new checks, reviewed in the diff.

Exit status: 0 when nothing is over its baseline, 1 otherwise, 2 when mypy itself failed.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "mypy-baseline.txt"
STRICT = ("workflow/", "app/services/")
ERROR = re.compile(r"^(?P<path>[^:\s][^:]*):\d+(?::\d+)?: error: ")
HEADER = """\
# mypy errors per file that may remain; only ever lowered (scripts/mypy-baseline.py --update).
# A file not listed must have none. Regenerate whole only with --reset, and review the diff.
"""
STRICT_HEADER = """\
# TEMPORARY: workflow/ and app/services/ are strict and must reach zero; remove these lines.
"""


def run_mypy() -> tuple[Counter[str], list[str], int]:
    """Run mypy; return the errors per file, the output lines and mypy's exit status."""
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-pretty", "--no-error-summary",
         "--show-error-codes", "--no-color-output"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    lines = (proc.stdout + proc.stderr).splitlines()
    counts: Counter[str] = Counter()
    for line in lines:
        if match := ERROR.match(line):
            counts[Path(match["path"]).as_posix()] += 1
    return counts, lines, proc.returncode


def read_baseline() -> dict[str, int]:
    """The committed counts; a missing file is an empty baseline."""
    baseline: dict[str, int] = {}
    if not BASELINE.exists():
        return baseline
    for number, raw in enumerate(BASELINE.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            path, count = line.rsplit(None, 1)
            baseline[path] = int(count)
        except ValueError:
            sys.exit(f"{BASELINE.name}:{number}: expected '<path> <count>', got {raw!r}")
    return baseline


def write_baseline(counts: dict[str, int]) -> None:
    strict = sorted(p for p, n in counts.items() if n and is_strict(p))
    other = sorted(p for p, n in counts.items() if n and not is_strict(p))
    text = HEADER + "".join(f"{p} {counts[p]}\n" for p in other)
    if strict:
        text += "\n" + STRICT_HEADER + "".join(f"{p} {counts[p]}\n" for p in strict)
    BASELINE.write_text(text, encoding="utf-8")


def is_strict(path: str) -> bool:
    return path.startswith(STRICT)


def package(path: str) -> str:
    return next((p for p in STRICT if path.startswith(p)), "elsewhere")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--update", action="store_true",
                       help="lower the baseline to the current counts (never raises one)")
    group.add_argument("--reset", action="store_true",
                       help="write the current counts as they are, new files included")
    args = parser.parse_args()

    counts, lines, status = run_mypy()
    if status not in (0, 1) or (status == 1 and not counts):
        print("\n".join(lines))
        print(f"mypy failed (exit status {status}).", file=sys.stderr)
        return 2
    baseline = read_baseline()
    files = sorted(set(counts) | set(baseline))
    over = [p for p in files if counts[p] > baseline.get(p, 0)]
    under = [p for p in files if counts[p] < baseline.get(p, 0)]

    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for path in files:
        totals[package(path)][0] += counts[path]
        totals[package(path)][1] += baseline.get(path, 0)
    print("mypy errors (now / baseline):")
    for name in (*STRICT, "elsewhere"):
        now, allowed = totals[name]
        note = "  <- strict: must reach 0" if name in STRICT and now else ""
        print(f"  {name:<14} {now:>5} / {allowed:<5}{note}")

    if args.reset:
        write_baseline(dict(counts))
        print(f"{BASELINE.name} rewritten with the current counts: review the diff.")
        return 0
    if args.update:
        write_baseline({p: min(counts[p], baseline[p]) for p in baseline})
        print(f"{BASELINE.name} lowered where the counts dropped.")

    strict_left = sorted(p for p in files if is_strict(p) and counts[p])
    if strict_left:
        print(f"Strict packages still have errors in {len(strict_left)} files "
              "(temporary baseline entries):")
        for path in strict_left:
            print(f"  {path}: {counts[path]}")
    if under and not args.update:
        print(f"{len(under)} files have fewer errors than the baseline; lower it with "
              "`make mypy-baseline` (scripts/mypy-baseline.py --update) and commit "
              f"{BASELINE.name}:")
        for path in under:
            print(f"  {path}: {baseline[path]} -> {counts[path]}")
    if over:
        print(f"{len(over)} files have more mypy errors than {BASELINE.name} allows:",
              file=sys.stderr)
        for path in over:
            allowed = baseline.get(path, 0)
            kind = "strict package, " if is_strict(path) else ""
            print(f"\n{path}: {counts[path]} error(s), {kind}baseline {allowed}",
                  file=sys.stderr)
            for line in lines:
                match = ERROR.match(line)
                if match and Path(match["path"]).as_posix() == path:
                    print(f"  {line}", file=sys.stderr)
        return 1
    print("mypy: no file over its baseline.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
