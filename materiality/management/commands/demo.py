from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from materiality.demo import demo_accounts_ensure


class Command(BaseCommand):
    help = "Create the demo accounts and data (idempotent). Passwords are printed once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give every demo account a new password and print it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = demo_accounts_ensure(reset_passwords=options["reset_passwords"])
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
