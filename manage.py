#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # manage.py is the developer's tool: without a DEBUG of its own it runs in development
    # mode. The served site (gunicorn via config.wsgi) and workers default to DEBUG off,
    # and production commands set DEBUG=false explicitly (docs/operations.md).
    os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
