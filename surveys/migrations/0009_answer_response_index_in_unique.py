"""The answer table's index on response_id goes: the unique constraint
one_answer_per_cell (response, question, row, column) starts with the response and
serves every lookup by response. Each answer stored paid for an entry in both.

Only the index is dropped. Django's AlterField (db_index=False) would drop the foreign
key and add it again, checking every answer of the table under a lock; the key stays as
it is, and the model's state says db_index=False."""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "surveys_answer"


def _response_indexes(schema_editor) -> list[str]:
    """The plain one-column indexes on surveys_answer.response_id (Django's own, named
    from a hash of the table and column)."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    return [
        name
        for name, details in constraints.items()
        if details["index"]
        and details["columns"] == ["response_id"]
        and not details["unique"]
        and not details["primary_key"]
        and not details["foreign_key"]
    ]


def drop_index(apps, schema_editor) -> None:
    for name in _response_indexes(schema_editor):
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create_index(apps, schema_editor) -> None:
    if _response_indexes(schema_editor):
        return
    answer = apps.get_model("surveys", "Answer")
    field = answer._meta.get_field("response")
    name = schema_editor._create_index_name(TABLE, [field.column])
    schema_editor.execute(
        f"CREATE INDEX {schema_editor.quote_name(name)} "
        f"ON {schema_editor.quote_name(TABLE)} ({schema_editor.quote_name(field.column)})"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0008_group_link_limits"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="answer",
                    name="response",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="answers",
                        to="surveys.response",
                        verbose_name="response",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_index, create_index)],
        ),
    ]
