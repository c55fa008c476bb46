/**
 * Domain types, read off the generated schema by path so they survive renames of the
 * OpenAPI component schemas.
 */
import type { paths } from "./schema";

type JsonOf<R> = R extends { content: { "application/json": infer T } } ? T : never;

export type TokenPair = JsonOf<paths["/api/auth/login"]["post"]["responses"][200]>;
export type LoginBody = JsonOf<paths["/api/auth/login"]["post"]["requestBody"]>;
export type RegisterBody = JsonOf<paths["/api/auth/register"]["post"]["requestBody"]>;
export type Me = JsonOf<paths["/api/auth/me"]["get"]["responses"][200]>;

export type ChannelPage = JsonOf<paths["/api/channels"]["get"]["responses"][200]>;
export type Channel = ChannelPage["items"][number];
export type ChannelKind = Channel["kind"];
export type ChannelStatus = Channel["status"];
export type ChannelHealth = Channel["health"];
export type HistoryImport = Channel["history_import"];
export type AuthorizeRedirect = JsonOf<paths["/api/meta/login"]["get"]["responses"][200]>;
export type MetaProduct = NonNullable<NonNullable<paths["/api/meta/login"]["get"]["parameters"]["query"]>["product"]>;

type Account = "/api/meta/accounts/{account_id}";
export type MetaPage = JsonOf<paths[`${Account}/pages`]["get"]["responses"][200]>["items"][number];
export type ConnectPagesBody = JsonOf<paths[`${Account}/pages/connect`]["post"]["requestBody"]>;
export type MetaBusiness = JsonOf<paths[`${Account}/businesses`]["get"]["responses"][200]>["items"][number];
export type WhatsAppAccount = JsonOf<
  paths[`${Account}/businesses/{business_id}/whatsapp-accounts`]["get"]["responses"][200]
>["items"][number];
export type PhoneNumber = JsonOf<
  paths[`${Account}/whatsapp-accounts/{waba_id}/phone-numbers`]["get"]["responses"][200]
>["items"][number];
export type ConnectWhatsAppBody = JsonOf<paths[`${Account}/whatsapp/connect`]["post"]["requestBody"]>;
export type Role = Me["role"];

export type ConversationPage = JsonOf<paths["/api/inbox/conversations"]["get"]["responses"][200]>;
export type Conversation = ConversationPage["items"][number];
export type ConversationWindow = Conversation["window"];
export type ConversationStatus = Conversation["status"];
export type SearchMatch = NonNullable<Conversation["match"]>;
export type ConversationUpdate = JsonOf<paths["/api/inbox/conversations/{conversation_id}"]["patch"]["requestBody"]>;
export type ConversationCounts = JsonOf<paths["/api/inbox/conversations/counts"]["get"]["responses"][200]>;
export type LabelPage = JsonOf<paths["/api/inbox/labels"]["get"]["responses"][200]>;
export type LabelUsage = LabelPage["items"][number];
export type TeamMember = JsonOf<paths["/api/team/members"]["get"]["responses"][200]>[number];
export type InvitationPage = JsonOf<paths["/api/team/invitations"]["get"]["responses"][200]>;
export type Invitation = InvitationPage["items"][number];
export type InvitationCreate = JsonOf<paths["/api/team/invitations"]["post"]["requestBody"]>;
export type InvitationCreated = JsonOf<paths["/api/team/invitations"]["post"]["responses"][201]>;
export type OwnershipTransferred = JsonOf<paths["/api/team/transfer-ownership"]["post"]["responses"][200]>;
export type InvitationPreview = JsonOf<paths["/api/invitations/{token}"]["get"]["responses"][200]>;
export type InvitationAccept = JsonOf<paths["/api/invitations/{token}/accept"]["post"]["requestBody"]>;

export type MessagePage = JsonOf<
  paths["/api/inbox/conversations/{conversation_id}/messages"]["get"]["responses"][200]
>;
export type Message = MessagePage["items"][number];
export type MessageStatus = Message["status"];
export type MessageDirection = Message["direction"];
export type Attachment = NonNullable<Message["attachments"]>[number];
/** The kinds the inbox draws (the schema says `string`; anything else is shown as a file). */
export type AttachmentKind = "image" | "video" | "audio" | "file" | "sticker";
export type Reaction = NonNullable<Message["reactions"]>[number];
export type ReplyTo = NonNullable<Message["reply_to"]>;
export type AttachmentUrl = JsonOf<paths["/api/inbox/attachments/{attachment_id}/url"]["get"]["responses"][200]>;
export type SendMessageBody = JsonOf<
  paths["/api/inbox/conversations/{conversation_id}/messages"]["post"]["requestBody"]
>;
export type StartConversationBody = JsonOf<paths["/api/inbox/conversations"]["post"]["requestBody"]>;
export type StartedConversation = JsonOf<paths["/api/inbox/conversations"]["post"]["responses"][202]>;

export type SavedReplyPage = JsonOf<paths["/api/inbox/saved-replies"]["get"]["responses"][200]>;
export type SavedReply = SavedReplyPage["items"][number];
export type SavedReplyCreate = JsonOf<paths["/api/inbox/saved-replies"]["post"]["requestBody"]>;
export type SavedReplyUpdate = JsonOf<paths["/api/inbox/saved-replies/{reply_id}"]["patch"]["requestBody"]>;

export type TemplatePage = JsonOf<paths["/api/templates"]["get"]["responses"][200]>;
export type Template = TemplatePage["items"][number];
export type TemplateParametersSpec = Template["parameters"];
export type TemplateParameters = JsonOf<paths["/api/templates/{template_id}/preview"]["post"]["requestBody"]>;
export type TemplatePreview = JsonOf<paths["/api/templates/{template_id}/preview"]["post"]["responses"][200]>;
export type TemplateChoice = NonNullable<SendMessageBody["template"]>;
export type TemplateSync = JsonOf<paths["/api/channels/{channel_id}/templates/sync"]["post"]["responses"][200]>;
export type UploadTicket = JsonOf<paths["/api/storage/uploads"]["post"]["responses"][201]>;

export type WebhookChannelPage = JsonOf<paths["/api/webhooks/channels"]["get"]["responses"][200]>;
export type WebhookChannel = WebhookChannelPage["items"][number];
export type WebhookEventPage = JsonOf<paths["/api/webhooks/events"]["get"]["responses"][200]>;
export type WebhookEvent = WebhookEventPage["items"][number];
export type WebhookEventStatus = WebhookEvent["status"];

export type ReportOverview = JsonOf<paths["/api/reports/overview"]["get"]["responses"][200]>;
export type ReportQuery = NonNullable<paths["/api/reports/overview"]["get"]["parameters"]["query"]>;
export type ReportChannelDay = ReportOverview["days"][number];
export type ReportChannelTotals = ReportOverview["channels"][number];
export type ReportFailure = ReportOverview["failures"][number];
export type ReportWebhookEvents = ReportOverview["webhook_events"];
export type ReportExpiringToken = ReportOverview["expiring_tokens"][number];

export type AuditLogPage = JsonOf<paths["/api/audit-logs"]["get"]["responses"][200]>;
export type AuditLogEntry = AuditLogPage["items"][number];
export type AuditActorType = AuditLogEntry["actor"]["type"];
export type AuditLogQuery = NonNullable<paths["/api/audit-logs"]["get"]["parameters"]["query"]>;

export type ApiKeyPage = JsonOf<paths["/api/api-keys"]["get"]["responses"][200]>;
export type ApiKey = ApiKeyPage["items"][number];
export type ApiKeyCreate = JsonOf<paths["/api/api-keys"]["post"]["requestBody"]>;
export type ApiKeyCreated = JsonOf<paths["/api/api-keys"]["post"]["responses"][201]>;

export type TrashPage = JsonOf<paths["/api/inbox/trash"]["get"]["responses"][200]>;
export type TrashedConversation = TrashPage["items"][number];
export type ExportPage = JsonOf<paths["/api/tenant/exports"]["get"]["responses"][200]>;
export type TenantExport = ExportPage["items"][number];
export type ExportDownload = JsonOf<paths["/api/tenant/exports/{export_id}/download"]["get"]["responses"][200]>;
export type TenantDeletion = JsonOf<paths["/api/tenant"]["delete"]["requestBody"]>;
export type TenantDeletionAccepted = JsonOf<paths["/api/tenant"]["delete"]["responses"][202]>;

/** Body of every non-2xx answer: show `detail` to the user. */
export interface ApiErrorBody {
  error: string;
  detail: string;
}

export type Permission = Me["permissions"][number];
