"""Photos chosen on a form that came back with an error: kept for the next submission, so that
an inspector on a phone does not take the photo again because a date was wrong.

A browser cannot put a file back into a file input, so the files are kept on the server, in a
folder of the user and the asset (MEDIA_ROOT/pending/<user>/<asset>/<batch>/), and the page
carries their names; the next submission of the same user on the same asset takes them back.
They are checked like any upload when they are finally stored. Bounded: at most MAX_FILES
photos per form, the forms of MAX_ASSETS assets per user, and nothing older than a day."""

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

from registry.models import Asset, User
from registry.services.attachments import attachment_check

KEPT_ID = re.compile(r"[0-9a-f]{32}/[0-9]{1,2}")
MAX_AGE_SECONDS = 24 * 3600
MAX_FILES = 10
MAX_ASSETS = 3


def _root() -> Path:
    return Path(settings.MEDIA_ROOT) / "pending"


def _folder(user: User, asset: Asset) -> Path:
    return _root() / str(int(user.pk)) / str(int(asset.pk))


def _ids(ids: Sequence[str]) -> list[str]:
    """The well-formed ids among those a page sent, once each, at most MAX_FILES."""
    return [i for i in dict.fromkeys(ids) if KEPT_ID.fullmatch(i)][:MAX_FILES]


def keep_uploads(
    user: User, asset: Asset, uploads: list[UploadedFile], *, still: Sequence[str] = ()
) -> tuple[list[dict[str, str]], int]:
    """Keep the uploads that would be accepted (size, real type; the refused ones are what the
    form's error is about), beside those still kept (``still``: the page carries them on), up to
    MAX_FILES; every other kept file of this user and asset goes. Returns the newly kept
    [{"id", "name"}] and how many uploads found no room."""
    still = _ids(still)
    _sweep(user, asset, keep={i.split("/")[0] for i in still})
    room = MAX_FILES - len(kept_uploads(user, asset, still))
    kept: list[dict[str, str]] = []
    batch = secrets.token_hex(16)
    folder = _folder(user, asset) / batch
    accepted = []
    for upload in uploads[: MAX_FILES * 2]:
        try:
            attachment_check(upload)
        except ValidationError:
            continue
        accepted.append(upload)
    for index, upload in enumerate(accepted[: max(room, 0)]):
        folder.mkdir(parents=True, exist_ok=True)
        upload.seek(0)
        with (folder / str(index)).open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        name = Path(upload.name or "photo").name[:100]
        (folder / f"{index}.json").write_text(json.dumps({"name": name}), "utf-8")
        kept.append({"id": f"{batch}/{index}", "name": name})
    return kept, max(len(accepted) - max(room, 0), 0)


def kept_uploads(user: User, asset: Asset, ids: Sequence[str]) -> list[tuple[str, UploadedFile]]:
    """The kept files the user's page names for this asset, as uploads (id, file); unknown or
    malformed ids are ignored."""
    found: list[tuple[str, UploadedFile]] = []
    for kept_id in _ids(ids):
        path = _folder(user, asset) / kept_id
        meta = path.with_name(path.name + ".json")
        if not path.is_file() or not meta.is_file():
            continue
        name = str(json.loads(meta.read_text("utf-8")).get("name") or "photo")
        found.append((kept_id, SimpleUploadedFile(name, path.read_bytes())))
    return found


def describe(user: User, asset: Asset, ids: Sequence[str]) -> list[dict[str, str]]:
    """The kept files as the page lists them again."""
    return [{"id": i, "name": f.name or ""} for i, f in kept_uploads(user, asset, ids)]


def forget(user: User, asset: Asset) -> None:
    """Remove the files kept for this user's form on this asset once its record is stored."""
    shutil.rmtree(_folder(user, asset), ignore_errors=True)


def _sweep(user: User, asset: Asset, keep: set[str]) -> None:
    """Remove this form's kept batches but those in ``keep``, the user's forms on other assets
    beyond the newest MAX_ASSETS, and anyone's files older than a day."""
    limit = time.time() - MAX_AGE_SECONDS
    folder = _folder(user, asset)
    if folder.is_dir():
        for batch in folder.iterdir():
            if batch.name not in keep or batch.stat().st_mtime < limit:
                shutil.rmtree(batch, ignore_errors=True)
    mine = folder.parent
    if mine.is_dir():
        others = sorted(
            (f for f in mine.iterdir() if f != folder),
            key=lambda f: f.stat().st_mtime,
            reverse=True,
        )
        for old in others[MAX_ASSETS - 1 :]:
            shutil.rmtree(old, ignore_errors=True)
    root = _root()
    if root.is_dir():
        for person in root.iterdir():
            for form in person.iterdir() if person.is_dir() else []:
                if form.stat().st_mtime < limit:
                    shutil.rmtree(form, ignore_errors=True)
