from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.backup import BackupError, Database, backup_create, both


class Command(BaseCommand):
    help = (
        "备份登记册：数据库（pg_dump 自定义格式）、MEDIA_ROOT（tar）和清单 manifest.json。 / "
        "Back up the register: the database (pg_dump custom format), MEDIA_ROOT (tar) and "
        "manifest.json."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            default=Path(settings.BASE_DIR) / "var" / "backups",
            help="Directory for the backup-YYYYmmdd-HHMMSS/ folder (default var/backups).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        database = Database.from_settings(settings.DATABASES["default"])
        try:
            path = backup_create(
                database=database,
                media_root=Path(settings.MEDIA_ROOT),
                output_dir=Path(options["output"]),
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                both(
                    "已备份数据库 %(name)s 和上传文件到 %(path)s",
                    "Backed up the database %(name)s and the uploaded files to %(path)s",
                    name=database.name,
                    path=path,
                )
            )
        )
