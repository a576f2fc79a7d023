"""Uploaded attachments: checked by content, stored under a generated name, name kept."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage

from app.services.errors import NotFound, ValidationFailed
from app.timezone import utcnow

# What each accepted extension's content must start with; an extension alone proves nothing.
SIGNATURES = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
}
DOCUMENT_TYPES = ("pdf", "jpg", "jpeg", "png")
# Files stored inside the current unit of work (relative paths), so that a rollback can
# remove them; None outside one.
_written: ContextVar[list[str] | None] = ContextVar("written_files", default=None)


@dataclass(frozen=True)
class StoredFile:
    """Where an upload was stored (relative to the upload folder) and its original name."""

    path: str
    name: str


def _root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def store_upload(upload: FileStorage | None, label: str,
                 allowed: tuple[str, ...] = DOCUMENT_TYPES) -> StoredFile:
    """Check and store an uploaded file.

    :param label: the field's Chinese name, used in messages
    :raises ValidationFailed: when nothing was sent, the type is not allowed, the content does
        not match the extension, or the file is empty or too large
    """
    if upload is None or not upload.filename:
        raise ValidationFailed(f"请上传{label}。")
    name = Path(upload.filename.replace("\\", "/")).name.strip()
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kinds = "、".join(a.upper() for a in allowed if a != "jpeg")
    if extension not in allowed:
        raise ValidationFailed(f"{label}只能是 {kinds} 文件。")
    content = upload.stream.read(current_app.config["MAX_CONTENT_LENGTH"] + 1)
    if not content:
        raise ValidationFailed(f"{label}是空文件。")
    if len(content) > current_app.config["MAX_CONTENT_LENGTH"]:
        limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        raise ValidationFailed(f"{label}不能超过{limit}MB。")
    if not content.startswith(SIGNATURES[extension]):
        raise ValidationFailed(f"{label}的内容与文件类型不符，请上传真实的 {kinds} 文件。")
    relative = Path(utcnow().strftime("%Y/%m")) / f"{uuid.uuid4().hex}.{extension}"
    target = _root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    written = _written.get()
    if written is not None:
        written.append(str(relative))
    return StoredFile(str(relative), name[:255])


@contextmanager
def tracking() -> Iterator[list[str]]:
    """Collect the files stored inside the block (the boundary removes them on rollback)."""
    written: list[str] = []
    token = _written.set(written)
    try:
        yield written
    finally:
        _written.reset(token)


def remove(relative_paths: list[str]) -> None:
    """Delete stored files whose record was never committed."""
    for relative in relative_paths:
        (_root() / relative).unlink(missing_ok=True)


def stored_path(relative: str | None) -> Path:
    """The absolute path of a stored file, refusing anything outside the upload folder."""
    if not relative:
        raise NotFound("附件不存在。")
    root = _root().resolve()
    path = (root / relative).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFound("附件不存在。")
    return path


PENDING = "pending"
PENDING_HOURS = 24


@dataclass(frozen=True)
class PendingFile:
    """A file chosen on a form that was refused, kept until the form is saved or abandoned."""

    token: str
    name: str


def _pending_paths(token: str) -> tuple[Path, Path] | None:
    if not token or len(token) > 64 or not all(c.isalnum() or c in "-_" for c in token):
        return None
    folder = _root() / PENDING
    return folder / f"{token}.bin", folder / f"{token}.json"


def keep_pending(upload: FileStorage, owner_id: int) -> PendingFile | None:
    """Keep a chosen file server-side so that a refused form need not ask for it again.

    Nothing is checked here: the command checks the file when the form is saved.
    """
    if upload is None or not upload.filename:
        return None
    content = upload.stream.read(current_app.config["MAX_CONTENT_LENGTH"] + 1)
    upload.stream.seek(0)
    token = uuid.uuid4().hex
    paths = _pending_paths(token)
    assert paths is not None
    name = Path(upload.filename.replace("\\", "/")).name.strip()[:255]
    paths[0].parent.mkdir(parents=True, exist_ok=True)
    paths[0].write_bytes(content)
    paths[1].write_text(json.dumps({"name": name, "owner": owner_id}), encoding="utf-8")
    return PendingFile(token, name)


def pending_upload(token: str, owner_id: int) -> tuple[PendingFile, FileStorage] | None:
    """The kept file of ``token`` as an upload, if it exists and belongs to ``owner_id``."""
    paths = _pending_paths(token)
    if paths is None or not paths[0].is_file() or not paths[1].is_file():
        return None
    meta = json.loads(paths[1].read_text(encoding="utf-8"))
    if meta.get("owner") != owner_id:
        return None
    stream = io.BytesIO(paths[0].read_bytes())
    return PendingFile(token, meta["name"]), FileStorage(stream=stream, filename=meta["name"])


def discard_pending(tokens: list[str]) -> None:
    """Remove kept files once their form was saved."""
    for token in tokens:
        paths = _pending_paths(token)
        for path in paths or ():
            path.unlink(missing_ok=True)


def purge_pending(now: datetime, hours: int = PENDING_HOURS) -> int:
    """Remove kept files of forms abandoned more than ``hours`` ago; returns how many."""
    folder = _root() / PENDING
    if not folder.is_dir():
        return 0
    # Stored times are naive UTC; .timestamp() would read a naive one as local time.
    aware = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    limit = aware.timestamp() - hours * 3600
    removed = 0
    for path in folder.iterdir():
        if path.suffix == ".bin" and path.stat().st_mtime < limit:
            discard_pending([path.stem])
            removed += 1
    return removed
