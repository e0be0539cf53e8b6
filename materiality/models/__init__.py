"""The models of the ESG domain, one module a part; Django and the rest of the code
import them from here."""

from materiality.models.assessments import (
    AXES,
    COMPANY_AXIS,
    STAKEHOLDER_AXIS,
    Assessment,
    AssessmentGroup,
    AssessmentTopic,
)
from materiality.models.idempotency import IdempotentRequest
from materiality.models.records import (
    AuditAction,
    AuditEntry,
    ExportJob,
    ExportStatus,
    ImportedFile,
)
from materiality.models.reports import CommentTag, Report
from materiality.models.runs import (
    AggregationRun,
    GroupScore,
    ReviewStatus,
    RunStatus,
    RunTrigger,
    TopicScore,
)
from materiality.models.tokens import ApiToken
from materiality.models.vocabulary import (
    Dimension,
    Framework,
    StakeholderGroup,
    Topic,
    TopicReference,
    VocabularyQuerySet,
    code_validator,
)

__all__ = [
    "AXES",
    "COMPANY_AXIS",
    "STAKEHOLDER_AXIS",
    "AggregationRun",
    "ApiToken",
    "Assessment",
    "AssessmentGroup",
    "AssessmentTopic",
    "AuditAction",
    "AuditEntry",
    "CommentTag",
    "Dimension",
    "ExportJob",
    "ExportStatus",
    "Framework",
    "GroupScore",
    "IdempotentRequest",
    "ImportedFile",
    "Report",
    "ReviewStatus",
    "RunStatus",
    "RunTrigger",
    "StakeholderGroup",
    "Topic",
    "TopicReference",
    "TopicScore",
    "VocabularyQuerySet",
    "code_validator",
]
