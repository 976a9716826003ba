"""Import every table model so the metadata is complete (Alembic, tests)."""

from urna.core import audit as audit_models
from urna.core import keys as keys_models
from urna.core.db import metadata
from urna.documents import models as documents_models
from urna.editions import models as editions_models
from urna.fraud import models as fraud_models
from urna.notify import models as notify_models
from urna.privacy import models as privacy_models
from urna.requestlog import models as requestlog_models
from urna.results import models as results_models
from urna.staff import models as staff_models
from urna.verification import models as verification_models
from urna.voting import models as voting_models

__all__ = [
    "metadata",
    "audit_models",
    "keys_models",
    "documents_models",
    "editions_models",
    "fraud_models",
    "notify_models",
    "privacy_models",
    "requestlog_models",
    "results_models",
    "staff_models",
    "verification_models",
    "voting_models",
]
