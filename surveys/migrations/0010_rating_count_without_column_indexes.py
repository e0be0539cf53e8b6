"""The rating counts' indexes on the survey alone and on the question alone go: the
index `rating_count_survey_idx` starts with the survey, the unique key's index with the
question, and each serves the look-ups (and the cascades) by its first column, while
each extra index costs every fold's INSERT and a new connection one more relation to
open. Only the indexes are dropped (and made again backwards): Django's AlterField would
also drop and re-add the foreign keys, checking every stored count again."""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "surveys_ratingcount"
INDEXES = {
    "surveys_ratingcount_survey_id_4542d22c": "survey_id",
    "surveys_ratingcount_question_id_b6227fdf": "question_id",
}


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0009_answer_response_index_in_unique"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ratingcount",
                    name="survey",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="surveys.survey",
                        verbose_name="survey",
                    ),
                ),
                migrations.AlterField(
                    model_name="ratingcount",
                    name="question",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="surveys.question",
                        verbose_name="question",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=f'DROP INDEX IF EXISTS "{index}"',
                    reverse_sql=f'CREATE INDEX "{index}" ON "{TABLE}" ("{column}")',
                )
                for index, column in INDEXES.items()
            ],
        ),
    ]
