from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.backup import BackupError, Database, backup_restore, both


class Command(BaseCommand):
    help = (
        "把备份恢复到空数据库并核对行数和历史校验和。 / Restore a backup into an empty database "
        "and check its row counts and history checksum against the manifest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="A backup-YYYYmmdd-HHMMSS directory.")
        parser.add_argument(
            "--database-url",
            help="Restore into this (empty) database instead of the configured one, e.g. "
            "postgis://atlas@%%2Fpath%%2Fto%%2Fsocket:5544/relief_atlas_copy",
        )
        parser.add_argument(
            "--force-media",
            action="store_true",
            help="Unpack the files even if MEDIA_ROOT already holds some (same names are "
            "overwritten).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            database = (
                Database.from_url(options["database_url"])
                if options["database_url"]
                else Database.from_settings(settings.DATABASES["default"])
            )
            report = backup_restore(
                path=Path(options["path"]),
                database=database,
                media_root=Path(settings.MEDIA_ROOT),
                force_media=options["force_media"],
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for check in report.checks:
            if check.ok:
                found = len(check.found) if isinstance(check.found, list) else check.found
                self.stdout.write(f"  ok  {check.what}: {found}")
            elif isinstance(check.expected, list) and isinstance(check.found, list):
                missing = sorted(set(check.expected) - set(check.found))
                extra = sorted(set(check.found) - set(check.expected))
                self.stdout.write(
                    self.style.ERROR(f"  MISMATCH  {check.what}: missing {missing}, extra {extra}")
                )
            else:
                self.stdout.write(
                    self.style.ERROR(
                        f"  MISMATCH  {check.what}: expected {check.expected}, found {check.found}"
                    )
                )
        if not report.ok:
            raise CommandError(
                both(
                    "恢复后的数据库 %(name)s 在 %(total)s 项核对中有 %(count)s 项与清单不符"
                    "（见上）。",
                    "The restored database %(name)s differs from the manifest in %(count)s of "
                    "%(total)s checks (see above).",
                    name=database.name,
                    count=len(report.mismatches),
                    total=len(report.checks),
                )
            )
        self.stdout.write(
            self.style.SUCCESS(
                both(
                    "已恢复到 %(name)s：%(count)s 项核对全部一致（行数、历史校验和、文件）。",
                    "Restored into %(name)s: all %(count)s checks match (row counts, history "
                    "checksum, files).",
                    name=database.name,
                    count=len(report.checks),
                )
            )
        )
