"""``make fuzz``: schemathesis against the served OpenAPI document, as each kind of API client.

1. a fresh database: SQLite in a temporary folder, or the PostgreSQL database named by
   ``FUZZ_DATABASE_URL`` (dropped and created; its name must contain ``fuzz``); then
   ``flask db upgrade``, ``flask setup`` and ``flask demo load``, and a few records to act on
   (:mod:`bench.fuzz_seed`);
2. gunicorn on a free 127.0.0.1 port (:mod:`bench.server`) with the login limits and the
   lockout relaxed, so that the fuzzer never locks itself out, and a budget-callback token;
3. for each role (供应商, 业务处室初审岗, 经办岗, 单位管理员, 系统管理员: the least destructive
   first) a JWT from ``POST /api/v1/security/login``, then ``schemathesis run`` on the document
   with the check ``not_a_server_error``, a fixed seed, ``FUZZ_EXAMPLES`` examples per
   operation and its share of ``FUZZ_BUDGET`` seconds (a role over its share is interrupted);
   the ids of the records the role can list are the examples of each ``{pk}``, the seeded
   bodies those of their writes;
4. a summary of every answer >= 500: operation, a curl reproduction and the causes in the
   server log; the exit status is 1 when there was one. The temporary folder (and the
   PostgreSQL database) are removed unless something failed or ``FUZZ_KEEP=1``.

Not fuzzed: ``/api/v1/account/password`` (a right guess would change a fuzzing account's
password and end its token) and any logout; both are covered by the test suite.

Environment: ``FUZZ_EXAMPLES`` (25), ``FUZZ_BUDGET`` (900 s for all roles), ``FUZZ_SEED``
(2026), ``FUZZ_ROLES`` (all: ``supplier,reviewer,clerk,unitadmin,admin``),
``FUZZ_DATABASE_URL``, ``FUZZ_WORKERS`` (2 gunicorn workers),
``FUZZ_KEEP`` (1: keep the temporary folder with the reports and the server log),
``FUZZ_PHASES`` (``examples,coverage,fuzzing``; the short run of ``make test`` leaves out
coverage, which takes about 75 % of the time).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.client import ApiSession
from bench.fuzz_report import Failure, causes, curl, read_failures
from bench.fuzz_seed import SeedFailed, seed
from bench.server import ROOT, Served, serve

PASSWORD = "Demo@2026"
# (name, label, account), in the order they run: a later role may change what an earlier one
# reads (an administrator may deactivate anyone), never the other way round.
ROLES = (
    ("supplier", "供应商", "91410100MA440A1B2D"),
    ("reviewer", "业务处室初审岗", "zz_div_first"),
    ("clerk", "经办岗", "zz_clerk"),
    ("unitadmin", "单位管理员", "zz_unitadmin"),
    ("admin", "系统管理员", "admin"),
)
EXCLUDED_PATHS = r"/api/v1/account/password|logout"
# The served app: nothing the fuzzer sends may lock an account or refuse its logins.
SERVER_ENV = {"LOGIN_MAX_FAILURES": "1000000", "LOGIN_DELAY_AFTER": "1000000",
              "GUNICORN_MAX_REQUESTS": "0", "GUNICORN_TIMEOUT": "120"}


@dataclass
class Settings:
    """What one run does, from the environment."""

    examples: int = 25
    budget: float = 900.0
    seed: int = 2026
    roles: list[tuple[str, str, str]] = field(default_factory=lambda: list(ROLES))
    database_url: str = ""
    workers: int = 2
    keep: bool = False
    phases: str = "examples,coverage,fuzzing"

    @classmethod
    def from_env(cls) -> Settings:
        wanted = [r.strip() for r in os.environ.get("FUZZ_ROLES", "").split(",") if r.strip()]
        unknown = set(wanted) - {name for name, _, _ in ROLES}
        if unknown:
            raise SystemExit(f"FUZZ_ROLES 中有未知角色 unknown roles: {', '.join(sorted(unknown))}")
        return cls(
            examples=int(os.environ.get("FUZZ_EXAMPLES", "25")),
            budget=float(os.environ.get("FUZZ_BUDGET", "900")),
            seed=int(os.environ.get("FUZZ_SEED", "2026")),
            roles=[r for r in ROLES if not wanted or r[0] in wanted],
            database_url=os.environ.get("FUZZ_DATABASE_URL", ""),
            workers=int(os.environ.get("FUZZ_WORKERS", "2")),
            keep=os.environ.get("FUZZ_KEEP", "") == "1",
            phases=os.environ.get("FUZZ_PHASES", "examples,coverage,fuzzing"),
        )


@dataclass
class RoleRun:
    """One role's schemathesis run."""

    role: str
    label: str
    account: str
    seconds: float = 0.0
    exit_code: int = 0
    interrupted: bool = False
    operations: set[str] = field(default_factory=set)
    cases: int = 0
    failures: list[Failure] = field(default_factory=list)
    token_lost: bool = False
    error: str = ""


# --------------------------------------------------------------------------------------------
# Database and server


def _postgresql(url: str, create: bool) -> str:
    """Drop the database of ``url`` (a name containing "fuzz"), then create it if asked; its
    SQLAlchemy URL."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if "fuzz" not in (parsed.database or ""):
        raise SystemExit("FUZZ_DATABASE_URL 的数据库名须含 fuzz（它会被删除重建） must name a "
                         f"database containing 'fuzz' (it is dropped): {parsed.database}")
    admin = parsed.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True,
                         connect_timeout=5) as conn:
        name = sql.Identifier(parsed.database or "")
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0")
                         .format(name))
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def prepare_database(settings: Settings, workdir: Path) -> str:
    """A migrated database with posts, roles and the demo data; its URL."""
    url = (_postgresql(settings.database_url, create=True) if settings.database_url
           else f"sqlite:///{workdir / 'fuzz.db'}")
    env = {**os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": url,
           "INSTANCE_DIR": str(workdir / "instance"), "UPLOAD_FOLDER": str(workdir / "uploads")}
    for args in (("db", "upgrade"), ("setup",), ("demo", "load")):
        done = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"flask {' '.join(args)} 失败 failed:\n{done.stdout}\n{done.stderr}")
    return url


@dataclass
class Target:
    """The served app and what every request needs."""

    served: Served
    callback_token: str
    document: Path
    bodies: dict[str, Any] = field(default_factory=dict)
    """A valid body of each write, by path (:func:`bench.fuzz_seed.seed`)."""


def _login(base_url: str, account: str) -> str:
    api = ApiSession(base_url)
    api.login(account, PASSWORD)
    return api.headers["Authorization"]


def _token_works(base_url: str, authorization: str) -> bool:
    api = ApiSession(base_url)
    api.headers["Authorization"] = authorization
    return api.get("/api/v1/_openapi").status == 200


def with_examples(document: dict[str, Any], base_url: str, authorization: str,
                  bodies: dict[str, Any]) -> dict[str, Any]:
    """The document with the ids the role can see as examples of each ``{pk}``, and a valid
    body as the example of the writes that have one.

    Random ids up to 2**31 - 1 almost never name a record, and a random body is refused on its
    first field: without these PUT, submit, act… would only ever answer 404 or 422 and no value
    would reach a command or the database. schemathesis' examples and coverage phases start
    from them (coverage changes one value at a time).
    """
    api = ApiSession(base_url)
    api.headers["Authorization"] = authorization
    seen: dict[str, list[int]] = {}
    document = json.loads(json.dumps(document))
    for path, item in document["paths"].items():
        body = bodies.get(path) or bodies.get(path.removesuffix("{pk}"))
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if body is not None and method in ("post", "put") and "application/json" in content:
                content["application/json"]["example"] = body
        if "{pk}" not in path:
            continue
        listing = path.split("{pk}", 1)[0]
        if listing not in seen:
            seen[listing] = _visible_ids(api, listing) if "get" in document["paths"].get(
                listing, {}) else []
        if not seen[listing]:
            continue
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter.get("name") == "pk":
                    parameter["examples"] = {f"record_{pk}": {"value": pk}
                                             for pk in seen[listing]}
    return document


def _visible_ids(api: ApiSession, listing: str) -> list[int]:
    reply = api.get(listing)
    if reply.status != 200:
        return []
    body = reply.json()
    ids = body.get("ids") or [row.get("id") for row in body.get("result", [])]
    return sorted({pk for pk in ids if isinstance(pk, int)})[:4]


# --------------------------------------------------------------------------------------------
# schemathesis


def schemathesis_command(settings: Settings, target: Target, document: Path,
                         authorization: str, report: Path) -> list[str]:
    """``schemathesis run`` (4.x CLI) on a saved document, against the served app."""
    return [
        sys.executable, "-m", "schemathesis.cli", "run", str(document),
        "--url", target.served.base_url,
        "--header", f"Authorization: {authorization}",
        "--header", f"X-Budget-Token: {target.callback_token}",
        "--checks", "not_a_server_error",
        "--phases", settings.phases,
        "--max-examples", str(settings.examples),
        "--seed", str(settings.seed),
        # One thread: hypothesis describes strategies with ast.parse, which CPython 3.11 does not
        # survive in two threads at once ("AST constructor recursion depth mismatch").
        "--workers", "1",
        "--exclude-path-regex", EXCLUDED_PATHS,
        "--suppress-health-check", "all",
        "--generation-database", "none",
        "--request-timeout", "60",
        "--no-color",
        "--report", "ndjson", "--report-ndjson-path", str(report),
    ]


def run_role(settings: Settings, target: Target, role: tuple[str, str, str], share: float,
             workdir: Path) -> RoleRun:
    """One role: sign in, fuzz until done or ``share`` seconds, read its report."""
    name, label, account = role
    run = RoleRun(name, label, account)
    try:
        authorization = _login(target.served.base_url, account)
    except Exception as exc:  # the run goes on with the other roles; reported below
        run.error = f"登录失败 login failed: {exc}"
        return run
    report = workdir / f"{name}.ndjson"
    output = workdir / f"{name}.txt"
    document = workdir / f"openapi-{name}.json"
    document.write_text(json.dumps(with_examples(
        json.loads(target.document.read_text(encoding="utf-8")), target.served.base_url,
        authorization, target.bodies), ensure_ascii=False), encoding="utf-8")
    started = time.monotonic()
    with open(output, "w", encoding="utf-8") as out:
        process = subprocess.Popen(
            # In the temporary folder: schemathesis and hypothesis keep caches in the cwd.
            schemathesis_command(settings, target, document, authorization, report), cwd=workdir,
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            run.exit_code = process.wait(timeout=max(share, 1.0))
        except subprocess.TimeoutExpired:
            # SIGINT: schemathesis stops and still writes its report.
            run.interrupted = True
            process.send_signal(signal.SIGINT)
            try:
                run.exit_code = process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                run.exit_code = process.wait()
    run.seconds = time.monotonic() - started
    if report.exists():
        run.operations, run.cases, run.failures = read_failures(report)
    else:
        run.error = "schemathesis 没有写出报告 wrote no report: " + _tail(output)
    if not run.failures and run.exit_code not in (0, 1) and not run.interrupted:
        run.error = run.error or f"schemathesis 退出码 exit code {run.exit_code}: " + _tail(output)
    run.token_lost = not _token_works(target.served.base_url, authorization)
    return run


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --------------------------------------------------------------------------------------------
# Summary


def summary(runs: list[RoleRun], settings: Settings, log_path: Path, seconds: float,
            setup_seconds: float, workdir: Path | None) -> Iterator[str]:
    """The lines printed at the end (Chinese first, English after each label)."""
    yield ""
    yield (f"== 模糊测试结果 Fuzz summary (seed {settings.seed}, {settings.examples} examples per "
           f"operation, budget {settings.budget:.0f} s; took {seconds:.0f} s, of which setup "
           f"{setup_seconds:.0f} s) ==")
    for run in runs:
        state = "中断 interrupted (budget)" if run.interrupted else "完成 done"
        yield (f"{run.label} {run.role} ({run.account}): {len(run.operations)} 个接口 operations, "
               f"{run.cases} 个请求 requests, {len(run.failures)} 个 5xx, {run.seconds:.0f} s, "
               f"{state}")
        if run.error:
            yield f"  错误 error: {run.error}"
        if run.token_lost:
            yield "  注意 note: 令牌在运行中失效 the token stopped working during the run"
    failing = [(run, failure) for run in runs for failure in run.failures]
    if failing:
        yield ""
        yield "== 服务器错误（5xx）Server errors =="
        yield ("BASE=http://127.0.0.1:5000（make run）; TOKEN: POST /api/v1/security/login "
               "of the same account; BUDGET_TOKEN: BUDGET_CALLBACK_TOKEN")
        seen: set[tuple[str, str, int]] = set()
        for run, failure in failing:
            key = (run.role, failure.operation, failure.status)
            if key in seen:
                continue
            seen.add(key)
            yield f"[{run.role}] {failure.operation} -> {failure.status}"
            yield "  " + curl(failure, workdir / "bodies" if workdir else None)
        found = causes(log_path)
        if found:
            yield ""
            yield "== 服务器日志中的原因 Causes in the server log =="
            for cause, count in found.most_common(20):
                yield f"  {count:>4} × {cause}"
    if workdir is not None:
        yield f"报告与服务器日志 reports and server log: {workdir}"
    per_operation = Counter((run.role, f.operation) for run in runs for f in run.failures)
    tested = sum(len(run.operations) for run in runs)
    # The plain closing line CI reads: role × operation pairs without and with a 5xx.
    yield f"fuzz: {tested - len(per_operation)} passed, {len(per_operation)} failed"


def main() -> int:
    settings = Settings.from_env()
    workdir = Path(tempfile.mkdtemp(prefix="fuzz-"))
    print(f"模糊测试 fuzzing: {len(settings.roles)} 个角色 roles, "
          f"{settings.examples} examples, budget {settings.budget:.0f} s, 目录 dir {workdir}",
          flush=True)
    started = time.monotonic()
    url = prepare_database(settings, workdir)
    setup_seconds = time.monotonic() - started
    callback_token = secrets.token_urlsafe(24)
    env = {**SERVER_ENV, "INSTANCE_DIR": str(workdir / "instance"),
           "UPLOAD_FOLDER": str(workdir / "uploads"), "BUDGET_CALLBACK_TOKEN": callback_token}
    runs: list[RoleRun] = []
    with serve(url, workers=settings.workers, extra_env=env) as served:
        made: dict[str, Any] = {}
        try:
            made = seed(served.base_url, url, PASSWORD)
            print(f"已创建 seeded: plans {made['plans']}, reductions {made['reductions']}",
                  flush=True)
        except SeedFailed as exc:  # the fuzz still runs, on the demo data alone
            print(f"注意 note: 未能创建测试记录 seeding failed: {exc}", flush=True)
        document = workdir / "openapi.json"
        admin = ApiSession(served.base_url)
        admin.login("admin", PASSWORD)
        answer = admin.get("/api/v1/_openapi")
        if answer.status != 200:
            raise SystemExit(f"OpenAPI 文档不可用 document unavailable: {answer.status}")
        document.write_bytes(answer.body)
        target = Target(served, callback_token, document, made.get("bodies", {}))
        deadline = time.monotonic() + settings.budget
        for index, role in enumerate(settings.roles):
            share = (deadline - time.monotonic()) / (len(settings.roles) - index)
            print(f"-- {role[1]} {role[0]} ({role[2]}): 最多 up to {share:.0f} s", flush=True)
            runs.append(run_role(settings, target, role, share, workdir))
        log_path = workdir / "gunicorn.log"
        shutil.move(served.log_path, log_path)
    failed = any(run.failures or run.error for run in runs)
    keep = settings.keep or failed
    for line in summary(runs, settings, log_path, time.monotonic() - started, setup_seconds,
                        workdir if keep else None):
        print(line)
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)
        if settings.database_url:
            _postgresql(settings.database_url, create=False)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
