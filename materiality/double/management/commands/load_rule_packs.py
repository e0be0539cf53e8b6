from typing import Any

from django.core.management.base import BaseCommand

from materiality.double.packs import load_rule_packs


class Command(BaseCommand):
    help = (
        "Load (or refresh) the double materiality rule packs and the crosswalk from "
        "materiality/double/packs/. Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        summary = load_rule_packs()
        self.stdout.write(
            f"{summary.packs} rule packs, {summary.matters} matters, "
            f"{summary.links} crosswalk links loaded."
        )
        if summary.missing_topics:
            self.stdout.write(
                "Topics named by the crosswalk but not on this site: "
                + ", ".join(summary.missing_topics)
            )
