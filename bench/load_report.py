"""The load test's scenario, shared state, checks against the database and report."""

from __future__ import annotations

import os
import platform
import subprocess
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from app.demo_flows import DEMO_PASSWORD
from bench.client import Reply
from bench.server import ROOT

DOC = ROOT / "docs" / "performance.md"
HEADING = "## Load test"
PG_ADMIN_URL = os.environ.get("LOAD_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379")
PASSWORD = DEMO_PASSWORD
PLANS = "/api/v1/procurement_plan/"

# Who acts. New accounts are created in units of the demo data (see app/demo.py for the codes).
EXTRA_PEOPLE = (  # username, post, unit code
    ("pds_clerk2", "clerk", "pds0101"),             # a second clerk in the demo clerk's unit
    ("pds_clerk3", "clerk", "pds0102"),             # 平顶山市实验高中
    ("pds_internal3", "internal_reviewer", "pds0102"),
    ("pds_competent2", "competent_reviewer", "pds01"),
    ("pds_div_first2", "division_first", "pdsd1"),
    ("sj_clerk2", "clerk", "sj0102"),               # 河南省教育考试院: no internal reviewer
    ("sj_div_first2", "division_first", "sjd1"),
)
NEW_SPENDING_UNITS = ("pds0102", "sj0102")
CLERKS = ("sj_clerk", "sj_clerk2", "zz_clerk", "pds_clerk", "pds_clerk2", "pds_clerk3")
REVIEWERS = {  # username → the twin it sometimes races against (same post, same unit)
    "sj_internal": None, "sj_competent": None, "sj_div_first": "sj_div_first2",
    "sj_div_first2": None, "sj_div_review": None,
    "zz_competent": None, "zz_div_first": None, "zz_div_review": None,
    "pds_internal": None, "pds_internal3": None, "pds_competent": "pds_competent2",
    "pds_competent2": None, "pds_div_first": "pds_div_first2", "pds_div_first2": None,
    "pds_div_review": None,
}
RETURN_SHARE = 0.10      # acts that return instead of approving
RACE_SHARE = 0.15        # acts of a reviewer with a twin that are fired from both accounts
WITHDRAW_SHARE = 0.05    # submissions withdrawn at once
AMOUNT = "1000.00"       # small: the demo 用款计划 cover thousands of plans


def plain_url(url: str) -> str:
    """The psycopg form of a SQLAlchemy URL."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@dataclass
class Run:
    """Shared state of the simulated users: budget, timings and what the server confirmed."""

    base_url: str
    deadline: float
    max_requests: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    failures: list[str] = field(default_factory=list)      # exceptions, 5xx, unclean refusals
    created: list[int] = field(default_factory=list)
    # Confirmed transitions: (plan id, username, history action) and (task id, username).
    transitions: Counter[tuple[int, str, str]] = field(default_factory=Counter)
    acted: Counter[tuple[int, str]] = field(default_factory=Counter)
    races: list[tuple[int, int, int]] = field(default_factory=list)  # task, status a, status b
    refused_acts: Counter[int] = field(default_factory=Counter)

    def running(self) -> bool:
        return time.monotonic() < self.deadline and self.sent < self.max_requests

    def call(self, action: str, send: Callable[..., Reply], *args: Any) -> Reply | None:
        """One timed request within the budget; None when the budget or the time is out."""
        with self.lock:
            if not self.running():
                return None
            self.sent += 1
        try:
            reply = send(*args)
        except Exception as exc:  # a dropped connection or a timeout is a failure too
            with self.lock:
                self.statuses[action][0] += 1
                self.failures.append(f"{action} {args[0] if args else ''}: {exc!r}")
            return None
        with self.lock:
            self.timings[action].append(reply.seconds)
            self.statuses[action][reply.status] += 1
            if reply.status >= 500:
                self.failures.append(f"{action} {args[0]}: {reply.status} {reply.body[:300]!r}")
        return reply

    def note(self, **kinds: Any) -> None:
        with self.lock:
            for key, value in kinds.items():
                if key == "transition":
                    self.transitions[value] += 1
                elif key == "acted":
                    self.acted[value] += 1
                elif key == "created":
                    self.created.append(value)
                elif key == "race":
                    self.races.append(value)
                elif key == "refused":
                    self.refused_acts[value] += 1
                elif key == "failure":
                    self.failures.append(value)


def verify(url: str, run: Run) -> list[tuple[str, bool, str]]:
    """Compare what the server confirmed with the database; (check, passed, detail)."""
    checks: list[tuple[str, bool, str]] = []
    created = sorted(set(run.created))
    with psycopg.connect(plain_url(url)) as conn:
        history = Counter()
        for record_id, username, action in conn.execute(
                """SELECT i.record_id, u.username, h.action FROM workflow_history h
                   JOIN workflow_instance i ON i.id = h.instance_id
                   JOIN ab_user u ON u.id = h.actor_id
                   WHERE i.record_type = 'procurement_plan' AND i.record_id = ANY(%s)""",
                (created,)):
            history[(record_id, username, action)] += 1
        extra, missing = history - run.transitions, run.transitions - history
        checks.append(("one history row per successful action", not extra and not missing,
                       f"{sum(history.values())} rows, {sum(run.transitions.values())} confirmed"
                       + (f"; unconfirmed rows {list(extra.items())[:5]}" if extra else "")
                       + (f"; rows missing {list(missing.items())[:5]}" if missing else "")))

        twice = [task for task, n in Counter(t for t, _ in run.acted).items() if n > 1]
        done = dict(conn.execute(
            """SELECT t.id, u.username FROM workflow_task t
               JOIN workflow_instance i ON i.id = t.instance_id
               JOIN ab_user u ON u.id = t.actor_id
               WHERE t.status = 'done' AND i.record_type = 'procurement_plan'
                 AND i.record_id = ANY(%s)""", (created,)).fetchall())
        confirmed = {task: who for task, who in run.acted}
        checks.append(("no task closed twice; done tasks = confirmed acts",
                       not twice and done == confirmed,
                       f"{len(done)} done tasks, {len(confirmed)} confirmed acts"
                       + (f"; confirmed twice: {twice[:5]}" if twice else "")))

        races = len(run.races)
        clean = sum(1 for _, a, b in run.races if sorted((a, b)) == [200, 409])
        both_refused = sum(1 for _, a, b in run.races if (a, b) == (409, 409))
        checks.append(("every race: one 200 and one clean 409",
                       clean + both_refused == races,
                       f"{races} races: {clean} won/refused, {both_refused} already handled by "
                       f"a third act; {sum(run.refused_acts.values())} clean 409s in all"))

        wrong = conn.execute(
            """SELECT i.record_id, i.status, p.status,
                      count(t.id) FILTER (WHERE t.status = 'open') AS open_tasks
               FROM workflow_instance i
               JOIN procurement_plan p ON p.id = i.record_id
               LEFT JOIN workflow_task t ON t.instance_id = i.id
               WHERE i.record_type = 'procurement_plan'
               GROUP BY i.id, p.status
               HAVING count(t.id) FILTER (WHERE t.status = 'open')
                      <> CASE WHEN i.status = 'in_review' THEN 1 ELSE 0 END
                   OR i.status <> p.status""").fetchall()
        states = dict(conn.execute(
            """SELECT i.status, count(*) FROM workflow_instance i
               WHERE i.record_type = 'procurement_plan' AND i.record_id = ANY(%s)
               GROUP BY i.status""", (created,)).fetchall())
        checks.append(("one open task per instance in review, none otherwise",
                       not wrong, f"instances by status {states}"
                       + (f"; wrong: {wrong[:5]}" if wrong else "")))

        numbers = conn.execute(
            """SELECT plan_number, status FROM procurement_plan
               WHERE plan_number IS NOT NULL OR status = 'completed'""").fetchall()
        duplicate = [n for n, c in Counter(n for n, _ in numbers).items() if c > 1]
        unnumbered = [n for n, s in numbers if n is None or s != "completed"]
        gaps = []
        for short, method, year, last in conn.execute(
                """SELECT r.short_name, s.method_short, s.year, s.last_value
                   FROM plan_number_sequence s JOIN region r ON r.id = s.region_id"""):
            prefix = f"{short}财{method}采购-{year}-"
            used = sorted(int(n.rsplit("-", 1)[1]) for n, _ in numbers
                          if n and n.startswith(prefix))
            if used != list(range(1, last + 1)):
                gaps.append(f"{prefix}: last {last}, numbers {used[:10]}…")
        checks.append(("plan numbers unique and gapless per sequence",
                       not duplicate and not unnumbered and not gaps,
                       f"{len(numbers)} numbered plans"
                       + (f"; duplicates {duplicate[:5]}" if duplicate else "")
                       + (f"; completed without number / numbered not completed "
                          f"{unnumbered[:5]}" if unnumbered else "") + "; ".join(gaps)))
    server_errors = sum(n for counts in run.statuses.values()
                        for status, n in counts.items() if status >= 500 or status == 0)
    checks.insert(0, ("no 5xx, no dropped request", server_errors == 0,
                      f"{server_errors} 5xx or failed requests"))
    checks.append(("no unexpected answers", not run.failures,
                   "; ".join(run.failures[:5]) if run.failures else "none"))
    return checks


# --------------------------------------------------------------------------------------------
# Report


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def _stat(pid: int) -> tuple[str, int, float, float]:
    """(comm, ppid, own CPU seconds, reaped children's CPU seconds) of a process."""
    text = Path(f"/proc/{pid}/stat").read_text()
    comm = text[text.index("(") + 1:text.rindex(")")]
    fields = text[text.rindex(")") + 2:].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (comm, int(fields[1]), (int(fields[11]) + int(fields[12])) / tick,
            (int(fields[13]) + int(fields[14])) / tick)


def cpu_seconds(master_pid: int) -> dict[str, float]:
    """CPU seconds so far of gunicorn (master, workers, reaped workers), of PostgreSQL (every
    postgres process plus the backends the postmaster reaped) and of this load generator."""
    procs = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                procs[int(entry.name)] = _stat(int(entry.name))
            except (OSError, ValueError):
                continue
    web = sum(own for pid, (_, ppid, own, _) in procs.items() if ppid == master_pid)
    if master_pid in procs:
        web += procs[master_pid][2] + procs[master_pid][3]
    pg = 0.0
    for _pid, (comm, ppid, own, reaped) in procs.items():
        if comm == "postgres":
            pg += own
            if procs.get(ppid, ("",))[0] != "postgres":  # the postmaster
                pg += reaped
    me = os.times()
    return {"gunicorn": web, "postgresql": pg, "load generator": me.user + me.system}


def machine() -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            pg = conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.OperationalError:  # a SQLite-only benchmark run
        pg = "unreachable"
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        redis_version = client.info("server")["redis_version"]
        client.close()
    except Exception:  # noqa: BLE001 - only reported
        redis_version = "unreachable"
    import gunicorn

    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                          capture_output=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           text=True, capture_output=True).stdout.strip()
    return {"commit": head + (" with uncommitted changes" if dirty else ""),
            "cores": str(os.cpu_count()), "cpu": cpu, "ram": f"{mem_kb / 1024 / 1024:.1f} GiB",
            "os": platform.platform(), "python": platform.python_version(),
            "postgresql": pg, "redis": redis_version, "gunicorn": gunicorn.__version__}


# Kept in the report whatever the run: what earlier runs on the reference machine showed.
FINDINGS = """\
Found with this test (2 cores, 2026-11-21):

- Throughput varies from run to run: 77-96 requests/s over six runs with 4 workers.
- Workers on 2 cores (one run each, `--workers N`): 2 → 100, 3 → 89, 4 → 95, 6 → 84
  requests/s, the same worker RSS. The server is CPU-bound; 4 stays the default so that a
  slow request (an export) does not hold half the capacity.
- With `max_requests` 1000 and a 10 % jitter the four workers, counting in step, restarted
  within 3 s of each other; a new worker needs 3-5 s to build the app, so nothing answered for
  2-3 s (max latency 3.3 s) and every replacement cost a core for seconds. Now 5000 with up to
  50 % jitter (`GUNICORN_PRELOAD=1` makes a replacement instant: max latency 1.2 s).
- A reviewer acting on a task that a withdrawal (or a colleague) closed after the reviewer's
  request had read it got 422 该记录不在审核中。 instead of 409 该任务已被处理; fixed in
  `act_on_task` (tests/test_act_races.py).
"""

ORDER = ("login", "create", "submit", "withdraw", "show", "resubmit", "tasks", "act", "act_race")


def summary(run: Run, seconds: float, workers: int, rss: float, users: int,
            checks: list[tuple[str, bool, str]], info: dict[str, str],
            cpu: dict[str, float]) -> str:
    """The Markdown section: setup, machine, figures per action, checks."""
    total = sum(sum(c.values()) for c in run.statuses.values())
    lines = [
        HEADING, "",
        f"`make loadtest` (`python -m bench.load`), {datetime.now():%Y-%m-%d %H:%M}: "
        f"{users} simulated users ({len(CLERKS)} clerks, {len(REVIEWERS)} reviewers) without "
        f"think time against gunicorn with {workers} sync workers on loopback, one "
        f"`flask scheduler` process, rate limits in Redis, a fresh PostgreSQL database with "
        f"the demo data. Clerks create and submit 采购计划备案 through the REST API "
        f"({WITHDRAW_SHARE:.0%} withdrawn at once, returned ones resubmitted); reviewers list "
        f"their 待办任务 and act on one of the three oldest ({RETURN_SHARE:.0%} returns); "
        f"{RACE_SHARE:.0%} of the acts of a reviewer with a colleague on the same post are "
        f"fired from both accounts at once.",
        "",
        f"Machine: {info['cores']} cores ({info['cpu']}), {info['ram']} RAM, {info['os']}; "
        f"Python {info['python']}, PostgreSQL {info['postgresql']}, Redis {info['redis']}, "
        f"gunicorn {info['gunicorn']}; code at {info['commit']}. Client, server and database "
        f"share the machine (1-minute load average before the run: {info['load']}). "
        f"gunicorn settings: {info['settings']}.",
        "",
        f"{total} requests in {seconds:.1f} s: **{total / seconds:.1f} requests/s**; "
        f"{len(set(run.created))} plans created; largest worker RSS {rss:.0f} MiB. "
        f"CPU used during the run (of {float(info['cores']) * seconds:.0f} core-seconds): "
        + ", ".join(f"{name} {value:.0f} s" for name, value in cpu.items()) + ".",
        "",
        "| action | requests | answers by status | p50 ms | p95 ms | max ms |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for action in [a for a in ORDER if a in run.statuses] + sorted(set(run.statuses) - set(ORDER)):
        counts, times = run.statuses[action], run.timings[action]
        answers = ", ".join(f"{status or 'failed'}: {n}" for status, n in sorted(counts.items()))
        lines.append(f"| {action} | {sum(counts.values())} | {answers} | "
                     f"{percentile(times, 50) * 1000:.0f} | {percentile(times, 95) * 1000:.0f} | "
                     f"{max(times, default=0) * 1000:.0f} |")
    lines += ["", "Checks against the database afterwards:", ""]
    lines += [f"- {'PASS' if ok else 'FAIL'} {name}: {detail}" for name, ok, detail in checks]
    return "\n".join(lines) + "\n\n" + FINDINGS


def write_section(section: str, path: Path = DOC) -> None:
    """Replace (or add) the ``## Load test`` section; the rest of the file stays as it is."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == HEADING), None)
    if start is None:
        new = text.rstrip("\n") + "\n\n" + section
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
                   len(lines))
        tail = "".join(lines[end:])
        new = "".join(lines[:start]) + section + ("\n" + tail if tail else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")


# --------------------------------------------------------------------------------------------
