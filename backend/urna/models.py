"""Import every table model so the metadata is complete (Alembic, tests)."""

from urna.core import audit as audit_models
from urna.core.db import metadata
from urna.documents import models as documents_models
from urna.editions import models as editions_models
from urna.notify import models as notify_models
from urna.requestlog import models as requestlog_models
from urna.results import models as results_models
from urna.staff import models as staff_models
from urna.voting import models as voting_models

__all__ = [
    "metadata",
    "audit_models",
    "documents_models",
    "editions_models",
    "notify_models",
    "requestlog_models",
    "results_models",
    "staff_models",
    "voting_models",
]
