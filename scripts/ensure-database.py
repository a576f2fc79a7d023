"""Create the PostgreSQL database named by DATABASE_URL when it is missing (SQLite: nothing).

Usage: ``python scripts/ensure-database.py [URL]`` (default: $DATABASE_URL). The server must
accept the URL's credentials on its ``postgres`` maintenance database.
"""

from __future__ import annotations

import os
import sys

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url


def ensure_database(url: str) -> bool:
    """Create the database of ``url`` if it does not exist; True when it was created."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgres"):
        return False
    admin = parsed.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True,
                         connect_timeout=5) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                        (parsed.database,)).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0")
                     .format(sql.Identifier(parsed.database)))
        return True


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DATABASE_URL", "")
    if not target:
        sys.exit("DATABASE_URL is not set")
    name = make_url(target).database
    print(f"已创建数据库 {name}。" if ensure_database(target) else f"数据库 {name} 已存在。")
