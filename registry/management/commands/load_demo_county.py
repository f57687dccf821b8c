from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.demo import (
    COUNTY_CODE,
    DEMO_PASSWORD,
    DemoDataError,
    fill_village_outlines,
    load_demo_county,
)
from registry.demo_assets import generate_register, has_demo_register
from registry.demo_network import NetworkSummary, fill_demo_network
from registry.demo_projects import fill_demo_projects
from registry.demo_sites import fill_demo_sites
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
                # ... and, when it holds the demo register (not only the areas and the network
                # a test database is loaded with), its project libraries, consistent with its
                # assets, and its relocation sites, after the projects they may link (once).
                if has_demo_register():
                    if projects := fill_demo_projects(seed=options["seed"]):
                        self.stdout.write(
                            f"Generated {projects} synthetic projects of the libraries."
                        )
                    if sites := fill_demo_sites(seed=options["seed"]):
                        self.stdout.write(f"Generated {sites} synthetic relocation sites.")
                # ... and its village groups and road and water network (once).
                self._network(fill_demo_network(county_code=COUNTY_CODE))
                return
            raise CommandError("The database already holds areas. / 数据库中已有行政区划。")
        try:
            summary = load_demo_county()
        except DemoDataError as exc:
            raise CommandError(f"Demo data is inconsistent / 演示数据不一致: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded 万州区: {summary.townships} townships, {summary.villages} villages, "
                f"{summary.groups} village groups, {summary.links} road and water links, "
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
        # Relocation sites, after the projects they may link (their facilities are new assets).
        if sites := fill_demo_sites(seed=options["seed"]):
            self.stdout.write(f"Generated {sites} synthetic relocation sites.")
        # The register's roads, pipes and power lines join the network (and the gaps are
        # recomputed with the sites in them).
        self._network(fill_demo_network(county_code=COUNTY_CODE))

    def _network(self, network: NetworkSummary) -> None:
        if network.groups or network.links:
            self.stdout.write(
                f"Generated {network.groups} synthetic village groups and {network.links} "
                f"network links (roads and pipes) from {network.sources} water works."
            )
        if network.register_lines:
            self.stdout.write(
                f"Gave {network.register_lines} roads, pipes and power lines of the register "
                "their network attributes."
            )
