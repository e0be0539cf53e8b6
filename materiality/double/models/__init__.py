"""The models of double materiality, one module a part; the rest of the code imports
them from here."""

from materiality.double.models.dma import (
    DmaFrameworks,
    DmaStatus,
    DoubleAssessment,
    MethodologyVersion,
)
from materiality.double.models.events import DmaAction, DmaEvent
from materiality.double.models.iros import (
    NATURE,
    Actuality,
    Horizon,
    Involvement,
    Iro,
    IroKind,
    IroSource,
    Polarity,
    ValueChainStage,
)
from materiality.double.models.matters import (
    Coverage,
    Matter,
    MatterLevel,
    MatterTopic,
    PackFramework,
    RulePack,
    matter_code_validator,
)
from materiality.double.models.outputs import DisclosureText, TopicOutcome, TopicResult
from materiality.double.models.raters import (
    CRITERIA,
    LEVEL_MAX,
    LEVEL_MIN,
    Rater,
    RaterRole,
    Rating,
)
from materiality.double.models.review import DmaApproval, MatterDecision, Perspective

__all__ = [
    "CRITERIA",
    "LEVEL_MAX",
    "LEVEL_MIN",
    "NATURE",
    "Actuality",
    "Coverage",
    "DisclosureText",
    "DmaAction",
    "DmaApproval",
    "DmaEvent",
    "DmaFrameworks",
    "DmaStatus",
    "DoubleAssessment",
    "Horizon",
    "Involvement",
    "Iro",
    "IroKind",
    "IroSource",
    "Matter",
    "MatterDecision",
    "MatterLevel",
    "MatterTopic",
    "MethodologyVersion",
    "PackFramework",
    "Perspective",
    "Polarity",
    "Rater",
    "RaterRole",
    "Rating",
    "RulePack",
    "TopicOutcome",
    "TopicResult",
    "ValueChainStage",
    "matter_code_validator",
]
