"""ORM models. Importing this package registers every table on ``Base.metadata``.

Each domain adds its module to the import list below.
"""

from app.models import activities as activities  # activities and their types (contract 002)
from app.models import apikeys as apikeys  # X-API-Key credentials
from app.models import deliveries as deliveries  # notification channels and deliveries
from app.models import editorial as editorial  # CEO v3 assignments and locks (contract 004)
from app.models import mentoring as mentoring  # assignments (contracts 000 + 001)
from app.models import milestones as milestones  # milestone catalogue and records (003)
from app.models import outbox as outbox  # change events and idempotent outcomes
from app.models import people
from app.models.base import Base

__all__ = ["Base", "people"]
