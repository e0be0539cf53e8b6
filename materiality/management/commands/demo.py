from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.urls import reverse

from materiality.demo.double_materiality import demo_dma_ensure
from materiality.demo.seed import demo_accounts_ensure, demo_assessments_ensure, demo_report_ensure


class Command(BaseCommand):
    help = "Create the demo accounts and data (idempotent). Passwords are printed once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give every demo account a new password and print it.",
        )
        parser.add_argument(
            "--accounts-only", action="store_true", help="Create the accounts but no data."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = demo_accounts_ensure(reset_passwords=options["reset_passwords"])
        if not options["accounts_only"]:
            self.stdout.write("Demo assessments (1,151 synthetic replies)…")
            previous, current = demo_assessments_ensure()
            site = settings.SITE_URL
            self.stdout.write(
                f"  {current}: {site}{reverse('materiality:assessment', args=[current.pk])}"
            )
            self.stdout.write(
                f"  {previous}: {site}{reverse('materiality:assessment', args=[previous.pk])}"
            )
            report = demo_report_ensure()
            form = reverse("feedback-form", args=[report.public_code])
            self.stdout.write(
                f"  {report}: {site}{reverse('materiality:report', args=[report.pk])}"
            )
            self.stdout.write(f"  Reader feedback form (public): {site}{form}")
            dma = demo_dma_ensure(current)
            self.stdout.write(
                f"  {dma.get_name()}: {site}{reverse('double:results', args=[dma.pk])}"
            )
        self.stdout.write(self.style.MIGRATE_HEADING("Demo accounts"))
        for created in accounts:
            account = created.account
            if created.password:
                self.stdout.write(
                    f"  {account.username:<8} {created.password}  ({account.description})"
                )
            else:
                self.stdout.write(f"  {account.username:<8} (exists)  ({account.description})")
        if any(created.password for created in accounts):
            self.stdout.write(
                self.style.WARNING(
                    "  These passwords are shown only now. To set new ones: "
                    "DEBUG=true .venv/bin/python manage.py demo --reset-passwords"
                )
            )
        self.stdout.write(f"Site: {settings.SITE_URL}/  ·  admin: {settings.SITE_URL}/admin/")
