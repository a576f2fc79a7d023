"""Configuration from the environment: secret key handling and production mode."""

from pathlib import Path

import pytest

import config


def test_production_refuses_to_start_without_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(config.ConfigError, match="SECRET_KEY"):
        config.build_config()


def test_production_uses_the_given_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    built = config.build_config()
    assert built["SECRET_KEY"] == "k" * 40
    assert built["SESSION_COOKIE_SECURE"] is True


def test_development_generates_a_private_key_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path)
    first = config.build_config()["SECRET_KEY"]
    second = config.build_config()["SECRET_KEY"]
    assert first == second and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_database_defaults_to_sqlite_in_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert str(config.build_config()["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite:///")


@pytest.mark.parametrize("storage", [None, "", "memory://", "file:///tmp/limits"])
def test_production_refuses_limits_counted_per_process(monkeypatch: pytest.MonkeyPatch,
                                                        storage: str | None) -> None:
    """Production with memory:// (also by default) refuses to start, saying why in Chinese."""
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    if storage is None:
        monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    else:
        monkeypatch.setenv("RATELIMIT_STORAGE_URI", storage)
    with pytest.raises(config.ConfigError) as refused:
        config.build_config()
    message = str(refused.value)
    assert message.startswith("生产模式下环境变量 RATELIMIT_STORAGE_URI 必须指向各工作进程共享的存储")
    assert "redis://" in message and "系统拒绝启动。" in message


@pytest.mark.parametrize("storage", ["redis://127.0.0.1:6379/0", "rediss://:pw@cache:6380",
                                     "memcached://cache:11211"])
def test_production_accepts_shared_storage(monkeypatch: pytest.MonkeyPatch,
                                           storage: str) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", storage)
    assert config.build_config()["RATELIMIT_STORAGE_URI"] == storage


def test_development_counts_in_memory_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "")
    assert config.build_config()["RATELIMIT_STORAGE_URI"] == "memory://"


def test_limit_keys_are_prefixed_per_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two databases (deployments) get two prefixes; one database always the same, whatever
    its password; RATELIMIT_KEY_PREFIX wins."""
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.delenv("RATELIMIT_KEY_PREFIX", raising=False)

    def prefix(url: str) -> str:
        monkeypatch.setenv("DATABASE_URL", url)
        return str(config.build_config()["RATELIMIT_KEY_PREFIX"])

    first = prefix("postgresql://app:one@db/procurement")
    assert first.startswith("hp-") and len(first) == 15
    assert prefix("postgresql://app:two@db/procurement") == first
    assert prefix("postgresql://app:one@db/procurement_test") != first
    monkeypatch.setenv("RATELIMIT_KEY_PREFIX", "henan-prod")
    assert prefix("postgresql://app:one@db/procurement") == "henan-prod"


@pytest.mark.parametrize("value", ["-1", "fast", "inf", "nan"])
def test_login_delay_refuses_nonsense(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("LOGIN_DELAY_MAX", value)
    with pytest.raises(config.ConfigError, match="LOGIN_DELAY_MAX"):
        config.build_config()
