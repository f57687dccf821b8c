"""Storing attachments: photos, scans, contracts and minutes."""

import secrets

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_noop

from registry.errors import field_error
from registry.models import Asset, Attachment, MaintenanceLog, User

# Sniffed from the first bytes, never trusted from the browser's content type or file name.
SIGNATURES = [
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"%PDF-", "application/pdf", "pdf"),
]


EXTENSIONS = {content_type: extension for _m, content_type, extension in SIGNATURES} | {
    "image/webp": "webp"
}


def attachment_download_name(attachment: Attachment) -> str:
    """The name a file is served under: ours, with the extension of its sniffed type. The
    uploaded name (``poly.html``) is kept in the record, never sent back as a file name."""
    extension = EXTENSIONS.get(attachment.content_type, "bin")
    return f"{attachment.asset.code}-{attachment.kind}-{attachment.pk}.{extension}"


def _sniff(head: bytes) -> tuple[str, str] | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    for magic, content_type, extension in SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    return None


def attachment_check(upload: UploadedFile, field: str = "photos") -> tuple[str, str]:
    """The sniffed content type and extension of an upload, or a refusal naming ``field``
    (empty, too big, not a JPEG, PNG, WebP or PDF). Check every file of a record before
    storing any, so that a refused second file leaves no first one on disk."""
    limit = getattr(settings, "ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
    name = upload.name or "file"
    if upload.size is None or upload.size == 0:
        raise field_error(field, gettext_noop("The file %(name)s is empty."), name=name)
    if upload.size > limit:
        raise field_error(
            field,
            gettext_noop("The file %(name)s is %(size)s bytes; at most %(limit)s bytes are kept."),
            name=name,
            size=f"{upload.size:,}",
            limit=f"{limit:,}",
        )
    upload.seek(0)
    sniffed = _sniff(upload.read(16))
    upload.seek(0)
    if sniffed is None:
        raise field_error(
            field, gettext_noop("The file %(name)s is not a JPEG, PNG, WebP or PDF."), name=name
        )
    return sniffed


def attachment_store(
    *,
    actor: User,
    asset: Asset,
    upload: UploadedFile,
    kind: str,
    maintenance_log: MaintenanceLog | None = None,
    field: str = "photos",
) -> Attachment:
    """Check one uploaded file's size and real type and store it with the asset. Call inside
    the transaction of the record it belongs to, after checking the actor may edit it."""
    content_type, extension = attachment_check(upload, field)
    name = upload.name or "file"
    attachment = Attachment(
        asset=asset,
        maintenance_log=maintenance_log,
        kind=kind,
        original_name=name[:200],
        content_type=content_type,
        size=upload.size or 0,  # attachment_check refused an unknown or empty size
        uploaded_by=actor,
    )
    attachment.file.save(f"{secrets.token_hex(12)}.{extension}", upload, save=False)
    attachment.save()
    return attachment
