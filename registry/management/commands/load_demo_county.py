from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.demo import (
    DEMO_PASSWORD,
    DemoDataError,
    fill_village_outlines,
    load_demo_county,
)
from registry.demo_assets import generate_register
from registry.demo_projects import fill_demo_projects
from registry.models import AdminArea


class Command(BaseCommand):
    help = "Load the demo county 重庆市万州区 (areas, river, demo accounts) into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and succeed) when the database already holds areas.",
        )
        parser.add_argument(
            "--assets",
            type=int,
            default=3000,
            help="How many synthetic assets to generate (default 3000; 0 for none).",
        )
        parser.add_argument("--seed", type=int, default=500101, help="Random seed of the register.")
        parser.add_argument(
            "--projects",
            type=int,
            default=None,
            help="How many synthetic projects of the libraries (default: a tenth of the assets).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if AdminArea.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already holds areas; demo county not loaded again.")
                # A demo database from before villages had outlines gets them (once; cheap after).
                if filled := fill_village_outlines():
                    self.stdout.write(f"Gave {filled} demo villages their synthetic outlines.")
                # ... and its project libraries, consistent with its assets (once).
                if projects := fill_demo_projects(seed=options["seed"]):
                    self.stdout.write(f"Generated {projects} synthetic projects of the libraries.")
                return
            raise CommandError("The database already holds areas. / 数据库中已有行政区划。")
        try:
            summary = load_demo_county()
        except DemoDataError as exc:
            raise CommandError(f"Demo data is inconsistent / 演示数据不一致: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded 万州区: {summary.townships} townships, {summary.villages} villages, "
                f"{summary.users} demo accounts (password: {DEMO_PASSWORD})."
            )
        )
        if options["assets"]:
            register = generate_register(
                assets=options["assets"], seed=options["seed"], projects=options["projects"]
            )
            self.stdout.write(
                f"Generated {register.assets} synthetic assets, {register.parties} parties and "
                f"{register.projects} projects (seed {options['seed']})."
            )
