"""Load the rule packs (ESRS 1 AR 16, the 2024 exchange guidelines) and the crosswalk
from the seed topics, with the same idempotent loader as `manage.py load_rule_packs`."""

from django.db import migrations


def load(apps, schema_editor):
    from materiality.double.packs import load_rule_packs

    load_rule_packs(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("double", "0001_initial"),
        ("materiality", "0002_seed_vocabulary"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
