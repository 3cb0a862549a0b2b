"""Policy packs and the decision engine: may this photo be posted, and under which clause?

The engine is pure (no framework, database or images): `decide(request, pack)`.
"""

from registry.policy.engine import ENGINE_RULES, Decision, FaceVerdict, Reason, decide
from registry.policy.facts import (
    ClearanceRequest,
    ClearanceRequestError,
    ConsentFacts,
    Context,
    FaceInput,
    PersonFacts,
)
from registry.policy.pack import (
    PolicyPack,
    Tag,
    builtin_pack_ids,
    load_builtin_pack,
    load_pack,
    parse_pack,
)
from registry.policy.rules import PackError, Rule

__all__ = [
    "ENGINE_RULES",
    "ClearanceRequest",
    "ClearanceRequestError",
    "ConsentFacts",
    "Context",
    "Decision",
    "FaceInput",
    "FaceVerdict",
    "PackError",
    "PersonFacts",
    "PolicyPack",
    "Reason",
    "Rule",
    "Tag",
    "builtin_pack_ids",
    "decide",
    "load_builtin_pack",
    "load_pack",
    "parse_pack",
]
