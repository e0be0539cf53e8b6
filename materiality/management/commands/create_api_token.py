"""Create a personal API token from the server's shell: the first token of a script's
account, or one for a user who cannot open the account page. Prints the token only, so
a shell can keep it: ``TOKEN=$(python manage.py create_api_token alice --name nightly)``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from materiality.access_tokens import TokenLimitReached, api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print it (it is shown this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The user the token signs in as.")
        parser.add_argument("--name", required=True, help="What the token is for.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user is called {options['username']!r}.")
        name = options["name"].strip()
        if not name:
            raise CommandError("Give the token a name (--name) that says what it is for.")
        try:
            issued = api_token_create(user=user, name=name[:80])
        except TokenLimitReached as error:
            raise CommandError(
                "This user has the most tokens allowed; revoke one first."
            ) from error
        self.stdout.write(issued.secret)
