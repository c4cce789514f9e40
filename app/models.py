"""Every area's tables on one SQLModel.metadata, for Alembic and the tests."""
from app.accounts.models import LoginSession, User  # noqa: F401
from app.archives.models import Archive  # noqa: F401
from app.audit.models import AuditEvent  # noqa: F401
from app.dicts.models import DictItem, Industry, Region  # noqa: F401
from app.docking.models import DockingSetting, DockingState, OutboxItem, PushBatch, PushState  # noqa: F401
from app.evaluations.models import Evaluation, EvaluationFact, EvidenceFile, RuleRevision  # noqa: F401
from app.files.models import StoredFile  # noqa: F401
from app.generations import Generation  # noqa: F401
from app.hub.models import DockedPlatform, HubCall, HubQuotaUse, HubSetting, HubToken  # noqa: F401
from app.oauth_client.models import IdpIdentity, IdpSetting  # noqa: F401
from app.oauth_server.models import OAuthApp, OAuthCode, OAuthConsent, OAuthToken  # noqa: F401
from app.pilots.models import PilotEnterprise  # noqa: F401
from app.products.models import Product  # noqa: F401
from app.providers.models import Provider  # noqa: F401
from app.review.models import Decision, Notification, Submission  # noqa: F401
from app.targets.models import Target  # noqa: F401
