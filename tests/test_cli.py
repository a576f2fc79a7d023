"""CLI commands: setup is idempotent, demo data stays out of production, the policy holds."""

import os
import subprocess
import sys

from flask import Flask
from sqlalchemy import func, select

from models import Operator, Post


def test_setup_is_idempotent(app: Flask, db_session) -> None:
    runner = app.test_cli_runner()
    before = db_session.scalar(select(func.count(Post.id)))
    for _ in range(2):
        result = runner.invoke(args=["setup"])
        assert result.exit_code == 0, result.output
        assert "已同步" in result.output
    db_session.expire_all()
    assert db_session.scalar(select(func.count(Post.id))) == before == 11


def test_demo_load_twice_changes_nothing(app: Flask, db_session) -> None:
    count = db_session.scalar(select(func.count(Operator.id)))
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert "演示数据已存在" in result.output
    assert db_session.scalar(select(func.count(Operator.id))) == count


def test_demo_load_refused_in_production(app: Flask) -> None:
    app.config["PRODUCTION"] = True
    try:
        result = app.test_cli_runner().invoke(args=["demo", "load"])
    finally:
        app.config["PRODUCTION"] = False
    assert result.exit_code != 0
    assert "生产模式下不能导入演示数据" in result.output


def test_create_admin_enforces_the_password_policy(app: Flask, db_session) -> None:
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["operators", "create-admin", "--username", "root2",
                               "--phone", "13900000000", "--password", "12345678"])
    assert weak.exit_code != 0
    assert "密码至少8位" in weak.output
    assert db_session.scalar(select(Operator.id).where(Operator.username == "root2")) is None
    good = runner.invoke(args=["operators", "create-admin", "--username", "root2",
                               "--phone", "13900000000", "--password", "Strong#2026"])
    assert good.exit_code == 0, good.output
    assert db_session.scalar(select(Operator.id).where(Operator.username == "root2"))


def test_fab_create_admin_cannot_bypass_the_policy(app: Flask, database, db_session) -> None:
    env = {**os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": database.url}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "fab", "create-admin", "--username", "weak",
         "--firstname", "a", "--lastname", "b", "--email", "weak@example.invalid",
         "--password", "123456"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert "密码至少8位" in result.stdout + result.stderr
    assert "weak" not in set(db_session.scalars(select(Operator.username)))


def test_sms_deliver_keeps_messages_without_a_gateway(app: Flask, db_session) -> None:
    """`flask sms deliver` with no gateway marks due SMS kept, readable in 短信记录."""
    from app.services.sms import queue_sms
    from models import SmsMessage

    with app.app_context():
        queue_sms(app.appbuilder.session, "13900000001", "password_recovery", "临时密码：Ab12345678",
                  secret="Ab12345678")
        app.appbuilder.session.commit()
    result = app.test_cli_runner().invoke(args=["sms", "deliver"])
    assert result.exit_code == 0 and "短信已发送0条，失败0条；过期临时密码0个。" in result.output
    db_session.expire_all()
    assert db_session.scalar(select(SmsMessage.status)) == "kept"
