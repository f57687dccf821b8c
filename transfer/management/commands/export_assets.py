import shutil
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry import selectors
from registry.models import User
from transfer import exporters


class Command(BaseCommand):
    help = (
        "Export the asset register as a user sees it (their area), filtered like the list: "
        "export_assets --user auditor --format xlsx --output ledger.xlsx asset_class=public"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="whose area and view to export")
        parser.add_argument("--format", required=True, choices=sorted(exporters.FORMATS))
        parser.add_argument("--output", required=True, help="file to write")
        parser.add_argument("filters", nargs="*", help="list filters as name=value")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.select_related("area").filter(username=options["user"]).first()
        if user is None or not user.is_active:
            raise CommandError(f"No active user {options['user']}. / 没有该用户。")
        params = dict(f.split("=", 1) for f in options["filters"] if "=" in f)
        filterset = selectors.asset_filterset(user=user, filters=params)
        if not filterset.is_valid():
            raise CommandError(f"Bad filters / 筛选条件有误: {filterset.errors.as_json()}")
        meta = exporters.meta_for(user, params, filterset, via="manage.py export_assets")
        path = exporters.export(filterset.qs, options["format"], meta=meta)
        target = Path(options["output"])
        shutil.move(path, target)
        shutil.rmtree(path.parent, ignore_errors=True)
        self.stdout.write(self.style.SUCCESS(f"Wrote {target} ({target.stat().st_size:,} bytes)."))
