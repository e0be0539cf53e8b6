"""The score tables' index on the run alone goes: their unique constraint's index starts
with the run and serves every look-up by run (and the cascade from a run), while each
extra index costs every score row written and a new connection one more relation to
open. Only the indexes are dropped (and made again backwards): Django's AlterField would
also drop and re-add the foreign keys, checking every stored score row again."""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = {
    "materiality_topicscore": "materiality_topicscore_run_id_8c125ab2",
    "materiality_groupscore": "materiality_groupscore_run_id_5a722cb4",
}


class Migration(migrations.Migration):
    dependencies = [
        ("materiality", "0017_audit_restored"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="groupscore",
                    name="run",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="group_scores",
                        to="materiality.aggregationrun",
                        verbose_name="aggregation run",
                    ),
                ),
                migrations.AlterField(
                    model_name="topicscore",
                    name="run",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="topic_scores",
                        to="materiality.aggregationrun",
                        verbose_name="aggregation run",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=f'DROP INDEX IF EXISTS "{index}"',
                    reverse_sql=f'CREATE INDEX "{index}" ON "{table}" ("run_id")',
                )
                for table, index in INDEXES.items()
            ],
        ),
    ]
