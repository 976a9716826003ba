"""Import every table model so the metadata is complete (Alembic, tests)."""

from urna.core.db import metadata
from urna.editions import models as editions_models
from urna.notify import models as notify_models
from urna.privacy import models as privacy_models
from urna.voting import models as voting_models

__all__ = ["metadata", "editions_models", "notify_models", "privacy_models", "voting_models"]
