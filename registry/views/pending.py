"""Photos chosen on a form that came back with an error: kept for the next submission, so that
an inspector on a phone does not take the photo again because a date was wrong.

A browser cannot put a file back into a file input, so the files are kept on the server, in a
folder of the user's own (MEDIA_ROOT/pending/<user>/<batch>/), and the page carries their
names; the next submission of the same user takes them back. They are checked like any upload
when they are finally stored. A user has one form's photos kept at a time (a new batch
replaces the others), and folders older than a day are removed."""

import json
import re
import secrets
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile

from registry.models import User
from registry.services.attachments import attachment_check

KEPT_ID = re.compile(r"^[0-9a-f]{32}/[0-9]{1,2}$")
MAX_AGE_SECONDS = 24 * 3600
MAX_FILES = 10


def _root(user: User) -> Path:
    return Path(settings.MEDIA_ROOT) / "pending" / str(int(user.pk))


def keep_uploads(
    user: User, uploads: list[UploadedFile], *, still: Sequence[str] = ()
) -> list[dict[str, str]]:
    """Keep the uploads that would be accepted (size, real type); the refused ones are what
    the form's error is about. Files kept before stay only if ``still`` names them (the page
    carries them on); every other batch of the user goes. Returns [{"id", "name"}]."""
    _sweep(user, keep={i.split("/")[0] for i in still if KEPT_ID.fullmatch(i)})
    kept: list[dict[str, str]] = []
    batch = secrets.token_hex(16)
    for index, upload in enumerate(uploads[:MAX_FILES]):
        try:
            attachment_check(upload)
        except ValidationError:
            continue
        folder = _root(user) / batch
        folder.mkdir(parents=True, exist_ok=True)
        upload.seek(0)
        with (folder / str(index)).open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        name = Path(upload.name or "photo").name[:100]
        (folder / f"{index}.json").write_text(json.dumps({"name": name}), "utf-8")
        kept.append({"id": f"{batch}/{index}", "name": name})
    return kept


def kept_uploads(user: User, ids: list[str]) -> list[tuple[str, UploadedFile]]:
    """The kept files the user's page names, as uploads (id, file); unknown ids are ignored."""
    found: list[tuple[str, UploadedFile]] = []
    for kept_id in dict.fromkeys(ids[:MAX_FILES]):
        if not KEPT_ID.fullmatch(kept_id):
            continue
        path = _root(user) / kept_id
        meta = path.with_name(path.name + ".json")
        if not path.is_file() or not meta.is_file():
            continue
        name = str(json.loads(meta.read_text("utf-8")).get("name") or "photo")
        found.append((kept_id, SimpleUploadedFile(name, path.read_bytes())))
    return found


def describe(user: User, ids: list[str]) -> list[dict[str, str]]:
    """The kept files as the page lists them again."""
    return [{"id": i, "name": f.name or ""} for i, f in kept_uploads(user, ids)]


def forget(user: User, ids: list[str]) -> None:
    """Remove kept files once they are stored with their record."""
    for kept_id in ids:
        if KEPT_ID.fullmatch(kept_id):
            shutil.rmtree(_root(user) / kept_id.split("/")[0], ignore_errors=True)


def _sweep(user: User, keep: set[str]) -> None:
    """Remove the user's kept batches but those in ``keep`` (if less than a day old)."""
    root = _root(user)
    if not root.is_dir():
        return
    limit = time.time() - MAX_AGE_SECONDS
    for folder in root.iterdir():
        if folder.name not in keep or folder.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)
