"""Bounded loopback load test: ``python -m bench.load`` (``make loadtest``).

What it does:

1. drops and creates a PostgreSQL database (``procurement_load``), runs ``flask db upgrade``,
   ``flask setup`` and ``flask demo load``, then adds clerks and reviewers in more units through
   the services (a second clerk in a demo unit, clerks in sibling units, a second reviewer on
   some posts so that two people race for the same tasks);
2. starts gunicorn with 4 workers (``bench.server``, rate limits in Redis) and exactly one
   ``flask scheduler`` process;
3. for ``--seconds`` (60) or until ``--max-requests`` (30000), clerks of the three regions create
   and submit 采购计划备案 through the REST API (some withdraw, returned ones are resubmitted)
   while reviewers fetch their 待办任务 and approve or return them; now and then one reviewer
   fires the same task from two accounts at once;
4. checks the database afterwards: no 5xx, one history row per successful action, every refused
   act a clean 409, no task closed twice, an open task for every instance in review (and none
   otherwise), plan numbers unique and gapless per sequence;
5. prints a summary and writes it under ``## Load test`` in ``docs/performance.md``.

The exit status is 1 when a check fails.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench.client import ApiSession, Reply
from bench.server import ROOT, Served, serve

PG_ADMIN_URL = os.environ.get("LOAD_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379")
PASSWORD = "Demo@2026"
PLANS = "/api/v1/procurement_plan/"
DOC = ROOT / "docs" / "performance.md"
HEADING = "## Load test"

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


# --------------------------------------------------------------------------------------------
# Database


def admin_execute(*statements: sql.Composable | str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        for statement in statements:
            conn.execute(statement)


def fresh_database(name: str) -> str:
    """Drop and create ``name``; returns its SQLAlchemy URL."""
    admin_execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)),
                  sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0")
                  .format(sql.Identifier(name)))
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


def plain_url(url: str) -> str:
    """The psycopg form of a SQLAlchemy URL."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def flask_env(url: str) -> dict[str, str]:
    return {**os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": url}


def run_flask(url: str, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=flask_env(url),
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def prepare(url: str) -> dict[str, dict[str, Any]]:
    """Schema, posts and roles, demo data, extra people; returns each clerk's plan body."""
    run_flask(url, "db", "upgrade")
    run_flask(url, "setup")
    run_flask(url, "demo", "load")

    from sqlalchemy import select

    from app import create_app
    from app.extensions import db
    from app.services.operators import create_operator
    from app.timezone import business_today
    from models import CatalogueItem, Intention, Operator, SpendingPlan, Unit

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    bodies: dict[str, dict[str, Any]] = {}
    with app.app_context():
        session = db.session
        units = {u.code: u for u in session.scalars(select(Unit))}
        phones = iter(range(13900001001, 13900001999))
        for username, post, code in EXTRA_PEOPLE:
            create_operator(session, name=f"压测{username}", phone=str(next(phones)),
                            password=PASSWORD, post_code=post, unit=units[code],
                            username=username)
        year = business_today().year
        for code in NEW_SPENDING_UNITS:
            session.add(SpendingPlan(external_no=f"YK{year}-LOAD-{code.upper()}",
                                     unit=units[code], name=f"{year}年压测用款计划", year=year,
                                     plan_amount=Decimal("50000000.00")))
        session.commit()
        item = session.scalar(select(CatalogueItem.id).where(CatalogueItem.code == "A05010201"))
        for username in CLERKS:
            clerk = session.scalar(select(Operator).where(Operator.username == username))
            spending = session.scalar(select(SpendingPlan.id).where(
                SpendingPlan.unit_id == clerk.unit_id).order_by(SpendingPlan.external_no))
            body: dict[str, Any] = {
                "project_name": f"{clerk.unit.name}办公家具采购", "fund_source": "spending_plan",
                "fiscal_amount": AMOUNT, "own_amount": "0",
                "items": [{"catalogue_item_id": item, "quantity": "1", "amount": AMOUNT,
                           "method": "open_tender", "organisation": "decentralised"}],
                "fundings": {str(spending): AMOUNT},
            }
            if clerk.unit.region.code == "zz":  # 郑州 links a published intention
                body.update(linked=True, intention_id=session.scalar(select(Intention.id).where(
                    Intention.unit_id == clerk.unit_id,
                    Intention.project_name.like("%物业管理%"))))
            bodies[username] = body
        db.session.remove()
        db.engine.dispose()
    return bodies


# --------------------------------------------------------------------------------------------
# Load


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


def signed_in(run: Run, username: str) -> ApiSession | None:
    api = ApiSession(run.base_url)
    reply = run.call("login", api.post_json, "/api/v1/security/login", {
        "username": username, "password": PASSWORD, "provider": "db", "refresh": False})
    if reply is None:
        return None
    if reply.status != 200:
        run.note(failure=f"login {username}: {reply.status} {reply.body[:200]!r}")
        return None
    api.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"
    return api


def clerk(run: Run, username: str, body: dict[str, Any], seed: int) -> None:
    """Create and submit plans; sometimes withdraw one at once; resubmit returned ones."""
    rnd = random.Random(seed)
    api = signed_in(run, username)
    if api is None:
        return
    mine: list[int] = []
    while run.running():
        created = run.call("create", api.post_json, PLANS, body)
        if created is None:
            break
        if created.status != 201:
            run.note(failure=f"create by {username}: {created.status} {created.body[:200]!r}")
            continue
        pk = created.json()["id"]
        mine.append(pk)
        run.note(created=pk)
        submitted = run.call("submit", api.post_json, f"{PLANS}{pk}/submit")
        if submitted is None:
            break
        if submitted.status == 200:
            run.note(transition=(pk, username, "submit"))
            if rnd.random() < WITHDRAW_SHARE:
                withdrawn = run.call("withdraw", api.post_json, f"{PLANS}{pk}/withdraw")
                if withdrawn is not None and withdrawn.status == 200:
                    run.note(transition=(pk, username, "withdraw"))
                elif withdrawn is not None and not (
                        withdrawn.status in (409, 422)
                        and withdrawn.json().get("message") == "已有审核人处理，不能撤回。"):
                    # A reviewer acting first is the only acceptable refusal.
                    run.note(failure=f"withdraw {pk}: {withdrawn.status} {withdrawn.body[:200]!r}")
        else:
            run.note(failure=f"submit {pk}: {submitted.status} {submitted.body[:200]!r}")
        if mine and rnd.random() < 0.3:
            pk = rnd.choice(mine)
            shown = run.call("show", api.get, f"{PLANS}{pk}")
            if shown is None or shown.status != 200:
                continue
            if shown.json()["result"]["status"] in ("returned", "withdrawn"):
                again = run.call("resubmit", api.post_json, f"{PLANS}{pk}/submit")
                if again is not None and again.status == 200:
                    run.note(transition=(pk, username, "submit"))


def decide(task: dict[str, Any], rnd: random.Random) -> dict[str, Any]:
    """Approve (first option of any choice) or, now and then, take a return action."""
    actions = {a["id"]: a for a in task["actions"]}
    returns = [a for a in actions if a != "approve"]
    if returns and rnd.random() < RETURN_SHARE:
        return {"action": rnd.choice(returns), "opinion": "请补充材料后重新提交",
                "version": task["version"]}
    choices = {c["id"]: c["options"][0]["value"] for c in actions["approve"]["choices"]}
    return {"action": "approve", "opinion": "同意", "version": task["version"],
            "choices": choices}


def reviewer(run: Run, username: str, twin: str | None, seed: int) -> None:
    """Fetch the 待办任务 and act on one of the oldest; race the twin account sometimes."""
    rnd = random.Random(seed)
    api = signed_in(run, username)
    other = signed_in(run, twin) if twin else None
    if api is None or (twin and other is None):
        return
    while run.running():
        listed = run.call("tasks", api.get, "/api/v1/tasks/")
        if listed is None:
            break
        if listed.status != 200:
            run.note(failure=f"tasks of {username}: {listed.status}")
            continue
        tasks = listed.json()["result"]
        if not tasks:
            time.sleep(0.2)
            continue
        task = rnd.choice(tasks[:3])
        body = decide(task, rnd)
        path = f"/api/v1/tasks/{task['id']}/act"
        if other is not None and rnd.random() < RACE_SHARE:
            race(run, task, path, body, ((api, username), (other, twin)))
            continue
        reply = run.call("act", api.post_json, path, body)
        if reply is not None:
            settle(run, task, username, body, reply)


def settle(run: Run, task: dict[str, Any], username: str, body: dict[str, Any],
           reply: Reply) -> None:
    """Record a confirmed act; a refusal must be a clean 409 with its Chinese message."""
    if reply.status == 200:
        run.note(acted=(task["id"], username),
                 transition=(task["record_id"], username, body["action"]))
    elif reply.status == 409 and reply.json().get("message") == "该任务已被处理":
        run.note(refused=task["id"])
    else:
        run.note(failure=f"act on task {task['id']} by {username}: {reply.status} "
                         f"{reply.body[:200]!r}")


def race(run: Run, task: dict[str, Any], path: str, body: dict[str, Any],
         contenders: tuple[tuple[ApiSession, str], tuple[ApiSession, str | None]]) -> None:
    """Two accounts of the same post act on the same task at the same version, together."""
    barrier = threading.Barrier(2)
    replies: list[Reply | None] = [None, None]

    def fire(index: int, api: ApiSession) -> None:
        try:
            barrier.wait(10)
        except threading.BrokenBarrierError:
            return
        replies[index] = run.call("act_race", api.post_json, path, body)

    threads = [threading.Thread(target=fire, args=(i, api))
               for i, (api, _) in enumerate(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if None in replies:
        return  # out of budget at the barrier: not a race
    for (_, who), reply in zip(contenders, replies, strict=True):
        settle(run, task, who or "", body, reply)
    run.note(race=(task["id"], replies[0].status, replies[1].status))


# --------------------------------------------------------------------------------------------
# Checks


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
    with psycopg.connect(PG_ADMIN_URL) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
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


def scheduler(url: str, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "flask", "scheduler"], cwd=ROOT,
                                env=flask_env(url), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def load(served: Served, bodies: dict[str, dict[str, Any]], seconds: float,
         max_requests: int) -> tuple[Run, float]:
    run = Run(served.base_url, time.monotonic() + seconds, max_requests)
    seed = secrets.randbits(32)
    threads = [threading.Thread(target=clerk, args=(run, name, bodies[name], seed + i))
               for i, name in enumerate(CLERKS)]
    threads += [threading.Thread(target=reviewer, args=(run, name, twin, seed + 100 + i))
                for i, (name, twin) in enumerate(REVIEWERS.items())]
    run.deadline = time.monotonic() + seconds
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return run, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="procurement_load",
                        help="PostgreSQL database to drop and create (default %(default)s)")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--max-requests", type=int, default=30000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--no-redis", action="store_true", help="rate limits in memory")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/performance.md")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for gunicorn, e.g. GUNICORN_PRELOAD=1")
    args = parser.parse_args(argv)

    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
    env = {"GUNICORN_ACCESS_LOG": "-", **dict(item.split("=", 1) for item in args.env)}
    if not args.no_redis:
        import redis

        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        except redis.RedisError as exc:
            raise SystemExit(
                f"Redis at {REDIS_URL} is not reachable ({exc}); use --no-redis") from exc
        env["RATELIMIT_STORAGE_URI"] = REDIS_URL
    load_before = os.getloadavg()[0]
    if load_before > 0.5:
        print(f"注意：本机当前负载 {load_before:.2f}，其它进程会影响压测结果。", flush=True)
    print(f"准备数据库 {args.database} …", flush=True)
    url = fresh_database(args.database)
    bodies = prepare(url)
    scheduler_log = Path(f"/tmp/bench-scheduler-{os.getpid()}.log")
    sched = scheduler(url, scheduler_log)
    try:
        with serve(url, workers=args.workers, extra_env=env) as served:
            print(f"gunicorn {served.base_url} ({args.workers} workers, log {served.log_path}); "
                  f"scheduler pid {sched.pid} (log {scheduler_log}); "
                  f"压测 {args.seconds:.0f} 秒 …", flush=True)
            before = cpu_seconds(served.master_pid)
            run, elapsed = load(served, bodies, args.seconds, args.max_requests)
            after = cpu_seconds(served.master_pid)
            cpu = {name: after[name] - before[name] for name in after}
            rss = served.max_worker_rss_mb()
            server_log = served.log_path
    finally:
        sched.terminate()
        try:
            sched.wait(30)
        except subprocess.TimeoutExpired:
            sched.kill()
    checks = verify(url, run)
    sched_text = scheduler_log.read_text(encoding="utf-8", errors="replace")
    checks.append(("one scheduler ran its jobs without error",
                   "已获得调度锁" in sched_text and "Traceback" not in sched_text,
                   f"log {scheduler_log}"))
    server_text = server_log.read_text(encoding="utf-8", errors="replace")
    checks.append(("no worker timeout or crash in the gunicorn log",
                   "WORKER TIMEOUT" not in server_text and "Traceback" not in server_text,
                   f"log {server_log}"))
    from app import gunicorn_conf as conf

    settings = (f"`app/gunicorn_conf.py` defaults (max_requests {conf.max_requests} + jitter "
                f"up to {conf.max_requests_jitter}, preload {'on' if conf.preload_app else 'off'})")
    if args.env:
        settings += " with " + ", ".join(f"`{item}`" for item in args.env)
    info = {**machine(), "load": f"{load_before:.2f}", "settings": settings}
    section = summary(run, elapsed, args.workers, rss, len(CLERKS) + len(REVIEWERS), checks,
                      info, cpu)
    print()
    print(section)
    if not args.no_write:
        write_section(section)
        print(f"已写入 {DOC.relative_to(ROOT)}。")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
