"""All tables, imported here so Alembic and the mappers see every one."""

from api.models.attachment import Attachment, AttachmentState
from api.models.base import Base
from api.models.channel import Channel, ChannelKind, ChannelStatus
from api.models.contact import Contact
from api.models.conversation import Conversation, ConversationStatus
from api.models.delivery import MessageTemplate, PendingStatus, WebhookEventRoute
from api.models.message import Message, MessageDirection, MessageStatus
from api.models.meta_account import (
    DataDeletionRequest,
    DataDeletionStatus,
    MetaAccount,
    MetaAccountStatus,
    OAuthState,
    WhatsAppBusinessAccount,
)
from api.models.saved_reply import SavedReply
from api.models.security import (
    ApiKey,
    AuditLog,
    Invitation,
    TenantExport,
    TenantExportStatus,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
)
from api.models.tenant import Tenant
from api.models.upload import Upload
from api.models.user import RefreshToken, Role, User
from api.models.webhook_event import WebhookEvent, WebhookEventStatus

__all__ = [
    "ApiKey",
    "Attachment",
    "AttachmentState",
    "AuditLog",
    "Base",
    "Channel",
    "ChannelKind",
    "ChannelStatus",
    "Contact",
    "Conversation",
    "ConversationStatus",
    "DataDeletionRequest",
    "DataDeletionStatus",
    "Invitation",
    "Message",
    "MessageDirection",
    "MessageStatus",
    "MessageTemplate",
    "MetaAccount",
    "MetaAccountStatus",
    "OAuthState",
    "PendingStatus",
    "RefreshToken",
    "Role",
    "SavedReply",
    "Tenant",
    "TenantExport",
    "TenantExportStatus",
    "Upload",
    "User",
    "WebhookDelivery",
    "WebhookDeliveryStatus",
    "WebhookEndpoint",
    "WebhookEvent",
    "WebhookEventRoute",
    "WebhookEventStatus",
    "WhatsAppBusinessAccount",
]
