"""Backup and restore: a restored register has the same rows, the same history and the same files,
and a restore refuses a non-empty database, an altered dump and an archive that escapes MEDIA_ROOT.

pg_dump reads through its own connection, so the round trip commits its records
(transaction=True); the refusals back up only what the session committed (the demo county).
"""

import hashlib
import io
import json
import secrets
import tarfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg2 import sql

from registry.backup import (
    DUMP_NAME,
    MANIFEST_NAME,
    MEDIA_NAME,
    Database,
    RegisterState,
    database_foreign_tables,
    register_state,
)
from registry.models import Attachment
from registry.services.assets import asset_approve_registration, asset_register
from registry.services.maintenance import maintenance_log_add
from tests.factories import asset_input

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4


def _configured() -> Database:
    return Database.from_settings(settings.DATABASES["default"])


def _url(database: Database) -> str:
    return (
        f"postgis://{quote(database.user, safe='')}@{quote(database.host, safe='')}"
        f":{database.port}/{database.name}"
    )


def _state(database: Database) -> RegisterState:
    conn = database.connect()
    try:
        return register_state(conn)
    finally:
        conn.rollback()
        conn.close()


def _foreign_tables(database: Database) -> list[str]:
    conn = database.connect()
    try:
        return database_foreign_tables(conn)
    finally:
        conn.close()


@pytest.fixture
def empty_database() -> Iterator[Database]:
    """A new database on the test server, named after the test database, dropped afterwards."""
    configured = _configured()
    target = configured.with_name(f"{connection.settings_dict['NAME']}_r{secrets.token_hex(4)}")
    admin = configured.with_name("postgres").connect()
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            # template0: nobody is ever connected to it, so CREATE DATABASE cannot collide.
            cursor.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(target.name))
            )
        yield target
    finally:
        with admin.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(target.name)
                )
            )
        admin.close()


def _backup(tmp_path: Path) -> Path:
    call_command("backup", output=tmp_path / "backups", stdout=io.StringIO())
    (path,) = (tmp_path / "backups").glob("backup-*")
    return path


@pytest.mark.django_db(transaction=True)
def test_restore_into_an_empty_database_brings_back_rows_history_and_files(
    tmp_path, settings, village_clerk, township_manager, empty_database
):
    settings.MEDIA_ROOT = tmp_path / "media"
    asset = asset_approve_registration(
        actor=township_manager, asset=asset_register(actor=village_clerk, data=asset_input())
    )
    log = maintenance_log_add(
        actor=village_clerk, asset=asset, kind="inspection", performed_on=asset.formed_on,
        result="normal", photos=[SimpleUploadedFile("路面.jpg", JPEG, content_type="image/jpeg")],
    )  # fmt: skip
    photo = Attachment.objects.get(maintenance_log=log).file.name
    assert (tmp_path / "media" / photo).read_bytes() == JPEG

    path = _backup(tmp_path)
    manifest = json.loads((path / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert {p.name for p in path.iterdir()} == {DUMP_NAME, MEDIA_NAME, MANIFEST_NAME}
    assert manifest["database"] == connection.settings_dict["NAME"]
    assert manifest["pg_dump_version"].startswith("pg_dump (PostgreSQL)")
    assert manifest["counts"]["registry_asset"] >= 1
    assert manifest["counts"]["registry_attachment"] >= 1
    assert "registry_assetevent" in manifest["history"]["tables"]
    assert "pghistory_context" in manifest["history"]["tables"]

    settings.MEDIA_ROOT = tmp_path / "restored-media"
    out = io.StringIO()
    call_command("restore", str(path), database_url=_url(empty_database), stdout=out)

    assert "history sha256" in out.getvalue()
    source, restored = _state(_configured()), _state(empty_database)
    assert restored.counts == source.counts == manifest["counts"]
    assert restored.triggers == source.triggers == manifest["triggers"]
    assert restored.history_sha256 == source.history_sha256 == manifest["history"]["sha256"]
    assert (tmp_path / "restored-media" / photo).read_bytes() == JPEG
    conn = empty_database.connect()
    with conn, conn.cursor() as cursor:
        cursor.execute("SELECT name, status FROM registry_asset WHERE code = %s", [asset.code])
        assert cursor.fetchone() == (asset.name, asset.status)
    conn.close()


@pytest.mark.django_db
def test_restore_into_a_database_that_has_tables_refuses_and_changes_nothing(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "note.pdf").write_bytes(b"%PDF-1.4 minutes")
    path = _backup(tmp_path)
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    before = _state(_configured())

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(path), stdout=io.StringIO())

    assert "不是空的" in str(refused.value) and "not empty" in str(refused.value)
    assert _state(_configured()) == before
    assert not (tmp_path / "restored-media").exists()


@pytest.mark.django_db
def test_a_dump_whose_bytes_were_changed_is_refused(tmp_path, settings, empty_database):
    path = _backup(tmp_path)
    dump = path / DUMP_NAME
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.chmod(0o600)
    dump.write_bytes(bytes(data))
    settings.MEDIA_ROOT = tmp_path / "restored-media"

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(path), database_url=_url(empty_database), stdout=io.StringIO())

    assert DUMP_NAME in str(refused.value) and "校验和" in str(refused.value)
    assert _foreign_tables(empty_database) == []


@pytest.mark.django_db
def test_a_media_archive_with_a_path_outside_media_root_is_refused(
    tmp_path, settings, empty_database
):
    path = _backup(tmp_path)
    evil = io.BytesIO(b"owned")
    with tarfile.open(path / MEDIA_NAME, "w") as tar:
        member = tarfile.TarInfo("../outside.txt")
        member.size = len(evil.getvalue())
        tar.addfile(member, evil)
    # Someone who can change the archive can change the manifest too: only the filter protects.
    manifest_path = path / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    tar_sha256 = hashlib.sha256((path / MEDIA_NAME).read_bytes()).hexdigest()
    manifest["files"][MEDIA_NAME]["sha256"] = tar_sha256
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    settings.MEDIA_ROOT = tmp_path / "restored-media"

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(path), database_url=_url(empty_database), stdout=io.StringIO())

    assert "MEDIA_ROOT" in str(refused.value)
    assert not (tmp_path / "outside.txt").exists()
    assert _foreign_tables(empty_database) == []


@pytest.mark.django_db
def test_a_restore_that_differs_from_the_manifest_says_what_and_exits_non_zero(
    tmp_path, settings, empty_database
):
    path = _backup(tmp_path)
    manifest_path = path / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["counts"]["registry_adminarea"] += 1
    manifest_path.chmod(0o600)
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    out = io.StringIO()

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(path), database_url=_url(empty_database), stdout=out)

    expected = manifest["counts"]["registry_adminarea"]
    assert f"MISMATCH  rows registry_adminarea: expected {expected}, found {expected - 1}" in (
        out.getvalue()
    )
    assert "ok  history sha256" in out.getvalue()
    assert "differs from the manifest in 1 of" in str(refused.value)
    assert "不符" in str(refused.value)
