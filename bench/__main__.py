"""``make bench``: build the dataset, measure at two sizes, print the table, check the targets.

    python -m bench                     # build and measure: PostgreSQL (full), SQLite (smaller)
    python -m bench build --db postgresql   # only build and save the two datasets
    python -m bench measure                 # measure the saved datasets again
    python -m bench --size quick            # a small smoke run of the whole pipeline

Exits 1 when a target is missed, so the figures can be trusted by whoever reads them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
import unicodedata
from dataclasses import asdict
from pathlib import Path
from typing import Any

import psycopg

from bench import dataset, replicate
from bench.load_report import machine
from bench.measure import MEASURES, Phase, measure
from bench.server import serve

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_NAME = os.environ.get("BENCH_PG_DATABASE", "procurement_bench")
QUICK = dataset.Scale(12, 150, 400, 20, 20_000, 2_000)
MAX_RATIO, MAX_APPROVE_TO_SHOW, MAX_RSS_MB = 1.5, 2.5, 250.0
PHASES = ("small", "large")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Store:
    """The working database of one backend and the saved copies of both dataset sizes.

    Measuring changes data (approvals, reminders), so each measurement starts from a copy.
    """

    def __init__(self, backend: str) -> None:
        self.backend = backend
        base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        self.url = (f"sqlite:///{self._file(PG_NAME)}" if backend == "sqlite"
                    else f"{base}/{PG_NAME}")

    def _file(self, name: str) -> Path:
        return ROOT / "instance" / f"{name}.db"

    def _admin(self, *statements: str) -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def fresh(self) -> None:
        """An empty working database."""
        if self.backend == "sqlite":
            self._file(PG_NAME).parent.mkdir(exist_ok=True)
            self._file(PG_NAME).unlink(missing_ok=True)
        else:
            self._admin(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)',
                        f'CREATE DATABASE "{PG_NAME}"')

    def save(self, phase: str) -> None:
        """Keep the working database as the dataset of ``phase``."""
        self._copy(PG_NAME, f"{PG_NAME}_{phase}")

    def restore(self, phase: str) -> None:
        """Make the working database a copy of the dataset of ``phase``."""
        self._copy(f"{PG_NAME}_{phase}", PG_NAME)

    def _copy(self, source: str, target: str) -> None:
        if self.backend == "sqlite":
            if not self._file(source).exists():
                raise SystemExit(f"{self._file(source)} is missing: run `python -m bench build`")
            shutil.copyfile(self._file(source), self._file(target))
            return
        self._admin(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)',
                    f'CREATE DATABASE "{target}" TEMPLATE "{source}"')


def prepare(url: str) -> None:
    """Schema, posts and roles, and the demo organisations, as ``make run`` makes them."""
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi"}
    flask = str(Path(sys.executable).with_name("flask"))
    for command in (["db", "upgrade"], ["setup"], ["demo", "load"]):
        subprocess.run([flask, *command], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)


def grow(session: Any, scale: dataset.Scale) -> None:
    """The hot queue through the services, then copies of the closed filings."""
    filed = dataset.fill_hot_queue(session, scale.hot_open_tasks, scale.overdue_tasks)
    log(f"hot queue: {filed} plans filed through the services")
    templates = replicate.measure_templates(session)
    missing_history = scale.history_rows - dataset.history_rows(session)
    missing_plans = scale.plans - dataset.counts(session)["plans"]
    copies = max(math.ceil(missing_history / max(templates.history, 1)),
                 math.ceil(missing_plans / max(templates.plans, 1)), 0)
    log(f"copying {templates.plans} plans / {templates.history} history rows × {copies}")
    for k in range(1, copies + 1):
        replicate.copy_once(session, templates, k)
        if k % 10 == 0:
            log(f"  copy {k}/{copies}")
    log(f"numbered {replicate.number_copies(session)} copied plans")
    replicate.finish(session)


def build(store: Store, scale: dataset.Scale) -> None:
    """Both datasets of one backend, saved for :func:`measure_saved`."""
    from app import create_app
    from app.extensions import db

    store.fresh()
    log(f"{store.backend}: preparing {store.url}")
    prepare(store.url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": store.url})
    with app.app_context():
        dataset.seed(db.session, scale)
        replicate.finish(db.session)
        log(f"small dataset: {dataset.counts(db.session)}")
        db.session.remove()
        db.engine.dispose()
        store.save("small")
        grow(db.session, scale)
        log(f"large dataset: {dataset.counts(db.session)}")
        db.session.remove()
        db.engine.dispose()
        store.save("large")


def measure_saved(store: Store, repeats: int, workers: int) -> list[Phase]:
    """Measure each saved dataset on a fresh copy."""
    from app import create_app
    from app.extensions import db

    phases = []
    for name in PHASES:
        store.restore(name)
        app = create_app({"SQLALCHEMY_DATABASE_URI": store.url})
        with app.app_context():
            counts = dataset.counts(db.session)
            db.session.remove()
        log(f"measuring {store.backend} {name}: {counts}")
        with serve(store.url, workers=workers, extra_env={"GUNICORN_MAX_REQUESTS": "0"}) as web:
            phases.append(measure(app, web, Phase(f"{store.backend} {name}", counts), repeats))
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return phases


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def report(small: Phase, large: Phase) -> list[str]:
    """Print the table; returns the targets missed."""
    missed = []
    print(f"\n{small.name} (history {small.counts['history']:,}, plans "
          f"{small.counts['plans']:,}) → {large.name} (history {large.counts['history']:,}, "
          f"plans {large.counts['plans']:,}, hot queue {large.counts['hot_open_tasks']:,}, "
          f"overdue {large.counts['overdue_tasks']:,})")
    header = f"{'measure':46} {'small p50':>10} {'p95':>8} {'large p50':>10} {'p95':>8} " \
             f"{'ratio p50':>9} {'p95':>6}"
    print(header)
    print("-" * len(header))
    for key, label in MEASURES.items():
        ratio50 = large.p(key, 50) / small.p(key, 50)
        ratio95 = large.p(key, 95) / small.p(key, 95)
        print(f"{pad(label, 46)} {small.p(key, 50):9.1f}ms {small.p(key, 95):6.1f}ms "
              f"{large.p(key, 50):9.1f}ms {large.p(key, 95):6.1f}ms {ratio50:9.2f} "
              f"{ratio95:6.2f}")
        if ratio50 > MAX_RATIO:
            missed.append(f"{label}: ratio {ratio50:.2f} > {MAX_RATIO}")
    for phase in (small, large):
        approve = phase.p("approve", 50) / phase.p("record_show", 50)
        print(f"{phase.name}: approve / record show = {approve:.2f}; "
              f"largest worker RSS {phase.rss_mb:.0f} MB")
        if approve > MAX_APPROVE_TO_SHOW:
            missed.append(f"{phase.name}: approve {approve:.2f}× a record show")
        if phase.rss_mb >= MAX_RSS_MB:
            missed.append(f"{phase.name}: worker RSS {phase.rss_mb:.0f} MB")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", nargs="?", choices=["all", "build", "measure"], default="all")
    parser.add_argument("--db", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--size", choices=["full", "quick"], default="full")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    backends = ["postgresql", "sqlite"] if args.db == "both" else [args.db]
    missed: list[str] = []
    results: dict[str, Any] = {"machine": machine(), "phases": []}
    for backend in backends:
        store = Store(backend)
        if args.step in ("all", "build"):
            build(store, QUICK if args.size == "quick" else (
                dataset.POSTGRES if backend == "postgresql" else dataset.SQLITE))
        if args.step in ("all", "measure"):
            small, large = measure_saved(store, args.repeats, args.workers)
            missed += report(small, large)
            results["phases"] += [asdict(small), asdict(large)]
    if results["phases"]:
        out = ROOT / "instance" / "bench-results.json"
        out.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str))
        print(f"\nraw figures: {out}")
    for line in missed:
        print(f"TARGET MISSED: {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
