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
import random
import secrets
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench.client import ApiSession, Reply
from bench.load_report import (
    AMOUNT,
    CLERKS,
    DOC,
    EXTRA_PEOPLE,
    NEW_SPENDING_UNITS,
    PASSWORD,
    PG_ADMIN_URL,
    PLANS,
    RACE_SHARE,
    REDIS_URL,
    RETURN_SHARE,
    REVIEWERS,
    WITHDRAW_SHARE,
    Run,
    cpu_seconds,
    machine,
    summary,
    verify,
    write_section,
)
from bench.server import ROOT, Served, serve

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
            assert clerk is not None, f"demo clerk {username} is missing"
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
