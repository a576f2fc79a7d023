"""Uploaded attachments: checked by content, stored under a generated name, name kept."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
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
    return StoredFile(str(relative), name[:255])


def stored_path(relative: str | None) -> Path:
    """The absolute path of a stored file, refusing anything outside the upload folder."""
    if not relative:
        raise NotFound("附件不存在。")
    root = _root().resolve()
    path = (root / relative).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFound("附件不存在。")
    return path
