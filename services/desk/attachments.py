"""Files attached to tickets: size-limited, type-checked by their content, stored on disk.

A file is kept under UPLOAD_DIR/<school_id>/<sha256>; the row in `attachments` holds its
name, type and size. The type comes from the file's first bytes, never from its name, so a
program renamed photo.png is refused; the stored name gets the extension of the real type.
Check every file of an upload first (`check_uploads`) so that nothing is saved when one of
them is refused.
"""
from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from werkzeug.utils import secure_filename

from services.desk.errors import DeskError
from services.desk.models import Attachment, Ticket, TicketEvent
from trust_it.extensions import db

MAX_BYTES = 5 * 1024 * 1024
MAX_FILES = 5
FIELD = "attachments"
# content type -> (extensions a name may keep, the one given otherwise)
TYPES = {
    "image/png": ((".png",), ".png"),
    "image/jpeg": ((".jpg", ".jpeg"), ".jpg"),
    "image/gif": ((".gif",), ".gif"),
    "application/pdf": ((".pdf",), ".pdf"),
    "text/plain": ((".txt", ".log", ".csv"), ".txt"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ((".docx",), ".docx"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ((".xlsx",), ".xlsx"),
}
ALLOWED_WORDS = "photos (PNG, JPEG, GIF), PDFs, text files, Word (.docx) and Excel (.xlsx) files"


@dataclass(frozen=True)
class Upload:
    """A file that passed the checks, held in memory until it is saved."""
    filename: str
    content_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def sniff(content: bytes) -> str | None:
    """The content type that the bytes themselves show, or None when they are not one we accept."""
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"PK\x03\x04"):
        return _office_type(content)
    if _is_text(content):
        return "text/plain"
    return None


def _office_type(content: bytes) -> str | None:
    # Any zip starts PK: only a real Word or Excel package (by its parts) is accepted.
    try:
        names = set(zipfile.ZipFile(io.BytesIO(content)).namelist())
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if "xl/workbook.xml" in names:
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return None


def _is_text(content: bytes) -> bool:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(ord(c) < 32 and c not in "\t\n\r\f" for c in text)


def _name(original: str, content_type: str) -> str:
    name = secure_filename(original or "") or "file"
    stem, ext = os.path.splitext(name)
    keep, default = TYPES[content_type]
    if ext.lower() in keep:
        return name[-200:]
    return (stem or "file")[: 200 - len(default)] + default


def _read(storage, label: str) -> bytes:
    content = storage.stream.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise DeskError(f"{label} is larger than {MAX_BYTES // (1024 * 1024)} MB. Attach a smaller file "
                        "(a screenshot rather than a video, for example).", FIELD)
    return content


def check_upload(storage) -> Upload:
    """Check one uploaded file (a werkzeug FileStorage, or anything with .filename and .stream)."""
    if isinstance(storage, Upload):
        return storage
    label = f"“{storage.filename}”" if storage.filename else "The file"
    content = _read(storage, label)
    if not content:
        raise DeskError(f"{label} is empty.", FIELD)
    content_type = sniff(content)
    if content_type is None:
        raise DeskError(f"{label} is not a type we accept: attach {ALLOWED_WORDS}.", FIELD)
    return Upload(_name(storage.filename, content_type), content_type, content)


def check_uploads(storages) -> list[Upload]:
    """Check every file of one upload; file inputs left empty are skipped."""
    files = [s for s in (storages or []) if s is not None and (getattr(s, "filename", "") or isinstance(s, Upload))]
    if len(files) > MAX_FILES:
        raise DeskError(f"Attach at most {MAX_FILES} files at a time.", FIELD)
    return [check_upload(s) for s in files]


def path_of(attachment: Attachment) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / str(attachment.school_id) / attachment.sha256


def store(school_id: int, upload: Upload) -> None:
    """Keep a checked file under the school's folder (shared with standards evidence)."""
    folder = Path(current_app.config["UPLOAD_DIR"]) / str(school_id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / upload.sha256
    if target.exists():  # the same bytes were attached before: stored once
        return
    # Write aside, then rename: a reader never sees half a file, and two writers of the same
    # bytes both end with the same complete file.
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(upload.content)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_upload(ticket: Ticket, event: TicketEvent | None, storage) -> Attachment:
    """Check a file and attach it to the ticket (and to the reply or note it came with)."""
    upload = check_upload(storage)
    store(ticket.school_id, upload)
    attachment = Attachment(ticket_id=ticket.id, school_id=ticket.school_id, event_id=event.id if event else None,
                            filename=upload.filename, content_type=upload.content_type, size=len(upload.content),
                            sha256=upload.sha256)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def save_uploads(ticket: Ticket, event: TicketEvent | None, storages) -> list[Attachment]:
    return [save_upload(ticket, event, upload) for upload in check_uploads(storages)]
