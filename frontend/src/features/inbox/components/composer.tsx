import { AlertCircle, Ban, FileText, Lock, NotebookPen, Paperclip, SendHorizontal, Unplug, UserRound } from "lucide-react";
import {
  useCallback,
  useImperativeHandle,
  useLayoutEffect,
  useRef,
  useState,
  type ClipboardEvent,
  type FormEvent,
  type KeyboardEvent,
  type Ref,
} from "react";
import { Link } from "react-router";
import { useQueryClient } from "@tanstack/react-query";

import { Alert, AlertDescription } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Spinner } from "@/components/ui/spinner";
import { Textarea } from "@/components/ui/textarea";
import { useCan } from "@/features/auth/hooks/use-can";
import { useTypingNotifier } from "@/features/realtime/hooks/use-typing-notifier";
import { TemplatePickerDialog } from "@/features/templates/components/template-picker-dialog";
import { useNow } from "@/hooks/use-now";
import { ApiError, errorMessage } from "@/lib/api/errors";
import type { Channel, Conversation, Message, TemplateChoice } from "@/lib/api/types";
import { conversationKeys } from "@/lib/query-keys";
import { cn } from "@/lib/utils";
import { uuid } from "@/utils/id";

import { useAddNote } from "../api/add-note";
import { HUMAN_AGENT_TAG, sendMessage, useApplyMessage, type MessageDraft } from "../api/send-message";
import { takesCaption } from "../api/upload-file";
import { composerModeFor, modeForRefusal, type ComposerMode, type ComposerModeKind } from "../utils/window";

import { useAttachmentTray, type StagedFile } from "../hooks/use-attachment-tray";
import { useSavedReplyPicker } from "../hooks/use-saved-reply-picker";

import { AttachmentTrayView } from "./composer-attachments";
import { ComposerReplyChip } from "./composer-reply-chip";

export interface ComposerHandle {
  /** Attach files (dropped on the thread, pasted...). */
  addFiles: (files: File[]) => void;
  focus: () => void;
}

export interface ComposerProps {
  conversation: Conversation;
  /** The conversation's channel, when known: a channel that is not active cannot send. */
  channel?: Pick<Channel, "name" | "status">;
  /** The message being replied to (quoted), if any. */
  replyTo?: Message | null;
  onCancelReply?: () => void;
  ref?: Ref<ComposerHandle>;
}

type Tab = "reply" | "note";

const STRICTNESS: Record<ComposerModeKind, number> = { free: 0, human_agent: 1, template: 2, blocked: 2 };

/** The sentence for a mode the server switched us to (its own reason is shown for refusals). */
const SWITCHED_REASON: Partial<Record<ComposerModeKind, string>> = {
  human_agent:
    "The 24-hour window has closed. You can still reply as a person with Meta's HUMAN_AGENT tag, up to 7 days after the customer's last message.",
};

interface ForcedMode {
  mode: ComposerMode;
  /** The customer's last message when the server said so: a newer one makes it stale. */
  lastInboundAt: string | null;
}

function ChannelHint({ channel }: { channel: Pick<Channel, "name" | "status"> }) {
  const why =
    channel.status === "needs_reauth"
      ? `${channel.name} needs to be reconnected before replies can be sent.`
      : `${channel.name} is disconnected, so replies cannot be sent.`;
  return (
    <p
      className="mb-2 flex flex-wrap items-center gap-1.5 text-xs text-destructive"
      data-testid="composer-channel-hint"
      data-channel-status={channel.status}
    >
      <Unplug className="size-3.5" aria-hidden />
      {why}
      <Link to="/channels" className="font-medium underline underline-offset-2">
        Go to Channels
      </Link>
    </p>
  );
}

function ModeBanner({ mode, onChooseTemplate }: { mode: ComposerMode; onChooseTemplate: () => void }) {
  if (mode.kind === "free" || mode.reason === null) return null;
  const Icon = mode.kind === "human_agent" ? UserRound : mode.kind === "template" ? Lock : Ban;
  return (
    <Alert
      variant={mode.kind === "blocked" ? "destructive" : "warning"}
      className="mb-2 py-2"
      data-testid="composer-mode-banner"
      data-mode={mode.kind}
    >
      <Icon aria-hidden />
      <AlertDescription className="flex flex-wrap items-center justify-between gap-x-3 gap-y-1.5">
        <span>{mode.reason}</span>
        {mode.kind === "template" && (
          <Button type="button" size="sm" className="h-7" onClick={onChooseTemplate} data-testid="composer-choose-template">
            <FileText aria-hidden />
            Choose template
          </Button>
        )}
      </AlertDescription>
    </Alert>
  );
}

function TabButton({ tab, current, onSelect, children }: { tab: Tab; current: Tab; onSelect: (tab: Tab) => void; children: string }) {
  const selected = tab === current;
  return (
    <button
      type="button"
      aria-pressed={selected}
      data-testid={`composer-tab-${tab}`}
      onClick={() => onSelect(tab)}
      className={cn(
        "rounded-md px-2.5 py-1 text-xs font-medium transition-colors focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none",
        selected
          ? tab === "note"
            ? "bg-amber-200/70 text-amber-950"
            : "bg-primary/10 text-primary"
          : "text-muted-foreground hover:bg-accent hover:text-foreground",
      )}
    >
      {children}
    </button>
  );
}

/** One send of a composition: the draft and the staged file it takes from the tray, if any. */
interface Part {
  draft: MessageDraft;
  fileId?: string;
}

/** Files first (the caption on the first, where the channel takes one), then the text. */
function composeParts(
  files: readonly StagedFile[],
  text: string,
  kind: Conversation["channel"]["kind"],
  extras: Pick<MessageDraft, "tag" | "replyToMessageId">,
): Part[] {
  const parts: Part[] = [];
  const first = files[0];
  const captioned = first !== undefined && text !== "" && takesCaption(kind, first.file);
  files.forEach((staged, index) => {
    parts.push({
      fileId: staged.id,
      draft: {
        uploadId: staged.uploadId ?? undefined,
        ...(index === 0 && captioned ? { text } : {}),
        ...(extras.tag !== undefined ? { tag: extras.tag } : {}),
        ...(index === 0 && extras.replyToMessageId !== undefined ? { replyToMessageId: extras.replyToMessageId } : {}),
      },
    });
  });
  if (text !== "" && !captioned) {
    parts.push({
      draft: {
        text,
        ...(extras.tag !== undefined ? { tag: extras.tag } : {}),
        ...(files.length === 0 && extras.replyToMessageId !== undefined ? { replyToMessageId: extras.replyToMessageId } : {}),
      },
    });
  }
  return parts;
}

/**
 * Writes and sends a reply, or a private note. What may be sent follows Meta's rules for
 * the conversation's window (free text, a HUMAN_AGENT reply, templates only, nothing), and
 * switches when the server refuses a send for a reason the page did not know yet. Each
 * message sent gets one Idempotency-Key; sending the same thing again after a failure
 * reuses it, so a request that did reach the server is not sent twice.
 */
export function Composer({ conversation, channel, replyTo = null, onCancelReply, ref }: ComposerProps) {
  const conversationId = conversation.id;
  const kind = conversation.channel.kind;
  const queryClient = useQueryClient();
  // Viewers (no conversations:write) get a notice instead: the API would refuse every send.
  const canWrite = useCan("conversations:write");
  const now = useNow(30_000);
  const apply = useApplyMessage();
  const addNote = useAddNote();
  const tray = useAttachmentTray(kind);
  const typing = useTypingNotifier(conversationId);

  const [tab, setTab] = useState<Tab>("reply");
  const [text, setText] = useState("");
  const [caret, setCaret] = useState(0);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [forced, setForced] = useState<ForcedMode | null>(null);
  const [templateOpen, setTemplateOpen] = useState(false);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const fileInputRef = useRef<HTMLInputElement>(null);
  const pendingCaret = useRef<number | null>(null);
  // Idempotency-Key per message content: the same content sent again reuses its key.
  const keys = useRef(new Map<string, string>());

  const computed = composerModeFor(conversation, now);
  const override = forced !== null && forced.lastInboundAt === conversation.last_inbound_at ? forced.mode : null;
  const mode = override !== null && STRICTNESS[override.kind] >= STRICTNESS[computed.kind] ? override : computed;

  const note = tab === "note";
  const readOnly = canWrite === false;
  const channelDown = channel !== undefined && channel.status !== "active";
  const freeText = mode.kind === "free" || mode.kind === "human_agent";
  const inputDisabled = readOnly || (!note && !freeText);
  const trimmed = text.trim();
  const busy = sending || addNote.isPending;
  const readyFiles = tray.files.filter((f) => f.state === "ready");
  const hasContent = note ? trimmed !== "" : trimmed !== "" || readyFiles.length > 0;
  const canSend =
    hasContent && !busy && !readOnly && (note || (freeText && !channelDown && !tray.uploading && !tray.failed));

  const picker = useSavedReplyPicker({
    text,
    caret,
    enabled: !inputDisabled,
    onInsert: ({ text: next, caret: at }) => {
      setText(next);
      setCaret(at);
      pendingCaret.current = at;
    },
  });

  // Put the caret after an inserted saved reply.
  useLayoutEffect(() => {
    const at = pendingCaret.current;
    const input = inputRef.current;
    if (at === null || input === null) return;
    pendingCaret.current = null;
    input.focus();
    input.setSelectionRange(at, at);
  });

  const keyFor = (draft: MessageDraft): string => {
    const fingerprint = JSON.stringify(draft);
    let key = keys.current.get(fingerprint);
    if (key === undefined) {
      key = uuid();
      keys.current.set(fingerprint, key);
    }
    return key;
  };

  /** A refusal about the window switches the composer to what the server says applies. */
  function noteRefusal(failure: unknown): boolean {
    if (!(failure instanceof ApiError)) return false;
    const switched = modeForRefusal(failure.error);
    if (switched === null) return false;
    const reason = SWITCHED_REASON[switched] ?? failure.detail;
    setForced({ mode: { kind: switched, reason }, lastInboundAt: conversation.last_inbound_at });
    // The window in the cache is stale: fetch the conversation again.
    void queryClient.invalidateQueries({ queryKey: conversationKeys.detail(conversationId) });
    return switched !== "human_agent";
  }

  async function sendParts(parts: Part[]) {
    const queue = [...parts];
    while (queue.length > 0) {
      const part = queue.shift() as Part;
      let message: Message;
      try {
        message = await sendMessage({ conversationId, idempotencyKey: keyFor(part.draft), ...part.draft });
      } catch (failure) {
        // This file goes without a caption here: send it bare, then the text on its own.
        const captioned = part.draft.uploadId !== undefined && part.draft.text !== undefined;
        if (captioned && failure instanceof ApiError && failure.error === "caption_not_supported") {
          const { text: caption, ...bare } = part.draft;
          const textPart: MessageDraft = { text: caption, ...(bare.tag !== undefined ? { tag: bare.tag } : {}) };
          queue.unshift({ ...part, draft: bare }, { draft: textPart });
          continue;
        }
        throw failure;
      }
      apply(message);
      // What reached the thread leaves the composer, so a retry sends only the rest.
      if (part.fileId !== undefined) tray.remove(part.fileId);
      if (part.draft.text !== undefined) setText("");
      if (part.draft.replyToMessageId !== undefined) onCancelReply?.();
    }
  }

  async function submit() {
    if (!canSend) return;
    typing.stop();
    setError(null);
    if (note) {
      addNote.mutate({ conversationId, text: trimmed }, { onSuccess: () => setText("") });
      return;
    }
    const parts = composeParts(readyFiles, trimmed, kind, {
      tag: mode.kind === "human_agent" ? HUMAN_AGENT_TAG : undefined,
      replyToMessageId: replyTo?.id,
    });
    setSending(true);
    try {
      await sendParts(parts);
      keys.current.clear();
    } catch (failure) {
      setError(noteRefusal(failure) ? null : failure);
    } finally {
      setSending(false);
    }
  }

  async function sendTemplate(choice: TemplateChoice) {
    const draft: MessageDraft = { template: choice };
    try {
      apply(await sendMessage({ conversationId, idempotencyKey: keyFor(draft), ...draft }));
      keys.current.clear();
    } catch (failure) {
      noteRefusal(failure);
      throw failure;
    }
  }

  const addFiles = useCallback(
    (files: File[]) => {
      if (files.length === 0) return;
      if (readOnly) return;
      if (!freeText) {
        setError(new Error(`Files cannot be sent now. ${mode.reason ?? ""}`.trim()));
        return;
      }
      setTab("reply");
      setError(null);
      tray.add(files);
    },
    [freeText, mode.reason, readOnly, tray],
  );

  useImperativeHandle(ref, () => ({ addFiles, focus: () => inputRef.current?.focus() }), [addFiles]);

  function selectTab(next: Tab) {
    typing.stop();
    setTab(next);
  }

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    void submit();
  }

  function handleKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (picker.onKeyDown(event)) return;
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void submit();
    }
  }

  function handlePaste(event: ClipboardEvent<HTMLTextAreaElement>) {
    const files = Array.from(event.clipboardData.files);
    if (files.length === 0 || note) return;
    event.preventDefault();
    addFiles(files);
  }

  if (readOnly) {
    return (
      <div className="shrink-0 border-t bg-background px-4 py-3 text-xs text-muted-foreground sm:px-6" data-testid="composer-read-only">
        <Lock className="mr-1.5 inline size-3.5 align-[-2px]" aria-hidden />
        You have view-only access to this workspace, so you cannot reply or add notes.
      </div>
    );
  }

  const shownError = error ?? (addNote.isError ? addNote.error : null);
  const windowError = shownError instanceof ApiError && shownError.status === 409;
  const placeholder = note
    ? "Write a private note for your team…  (never sent to the customer)"
    : mode.kind === "template"
      ? "Free-form messages are not allowed now: choose a template."
      : mode.kind === "blocked"
        ? "Replies are not possible until the customer writes again."
        : mode.kind === "human_agent"
          ? "Reply as a person (sent with the HUMAN_AGENT tag)…"
          : "Write a reply…  (type / for saved replies)";

  return (
    <>
      <form
        onSubmit={handleSubmit}
        className="shrink-0 border-t bg-background px-3 pt-3 pb-[max(1rem,env(safe-area-inset-bottom))] sm:px-6"
        aria-label={note ? "Private note" : "Reply"}
        data-testid="composer"
        data-mode={note ? "note" : mode.kind}
      >
        {shownError !== null && (
          <Alert variant={windowError ? "warning" : "destructive"} className="mb-3" data-testid="composer-error">
            {windowError ? <Lock aria-hidden /> : <AlertCircle aria-hidden />}
            <AlertDescription>{errorMessage(shownError)}</AlertDescription>
          </Alert>
        )}
        {!note && channelDown && <ChannelHint channel={channel} />}
        {!note && !channelDown && <ModeBanner mode={mode} onChooseTemplate={() => setTemplateOpen(true)} />}
        <div
          className={cn(
            "relative rounded-xl border p-1.5 shadow-xs focus-within:ring-[3px]",
            note
              ? "border-amber-300 bg-amber-50 focus-within:border-amber-400 focus-within:ring-amber-300/40"
              : "bg-background focus-within:border-ring focus-within:ring-ring/30",
          )}
        >
          {picker.list}
          <div className="flex items-center gap-1 px-1 pb-1" role="group" aria-label="Write a reply or a private note">
            <TabButton tab="reply" current={tab} onSelect={selectTab}>
              Reply
            </TabButton>
            <TabButton tab="note" current={tab} onSelect={selectTab}>
              Private note
            </TabButton>
            {note && (
              <span className="ml-auto flex items-center gap-1 pr-1 text-[11px] text-amber-800">
                <NotebookPen className="size-3" aria-hidden />
                Only your team sees notes
              </span>
            )}
          </div>
          {!note && replyTo !== null && (
            <ComposerReplyChip message={replyTo} contactName={conversation.contact.name || null} onCancel={() => onCancelReply?.()} />
          )}
          {!note && <AttachmentTrayView tray={tray} disabled={sending} />}
          <Textarea
            ref={inputRef}
            data-testid="composer-input"
            aria-label={note ? "Private note" : "Message"}
            placeholder={placeholder}
            rows={2}
            value={text}
            disabled={inputDisabled}
            readOnly={sending}
            onChange={(event) => {
              setText(event.target.value);
              setCaret(event.target.selectionStart);
              // Teammates see "typing" for a reply only (a note is not an answer to the customer).
              if (!note && event.target.value.trim() !== "") typing.input();
              else typing.stop();
              if (error !== null) setError(null);
              if (addNote.isError) addNote.reset();
            }}
            onSelect={(event) => setCaret(event.currentTarget.selectionStart)}
            onBlur={typing.stop}
            onKeyDown={handleKeyDown}
            onPaste={handlePaste}
            {...picker.inputProps}
            className="max-h-48 min-h-10 resize-none border-0 bg-transparent p-1.5 shadow-none focus-visible:ring-0 disabled:cursor-not-allowed"
          />
          <div className="flex items-center gap-1">
            {!note && (
              <>
                <input
                  ref={fileInputRef}
                  type="file"
                  multiple
                  hidden
                  data-testid="composer-file-input"
                  onChange={(event) => {
                    addFiles(Array.from(event.target.files ?? []));
                    event.target.value = "";
                  }}
                />
                <Button
                  type="button"
                  variant="ghost"
                  size="icon"
                  className="size-8 text-muted-foreground"
                  onClick={() => fileInputRef.current?.click()}
                  disabled={!freeText || channelDown}
                  aria-label="Attach files"
                  title="Attach files (or drop them on the conversation)"
                  data-testid="composer-attach"
                >
                  <Paperclip aria-hidden />
                </Button>
                {kind === "whatsapp" && (
                  <Button
                    type="button"
                    variant="ghost"
                    size="sm"
                    className="h-8 px-2 text-muted-foreground"
                    onClick={() => setTemplateOpen(true)}
                    disabled={channelDown}
                    data-testid="composer-templates"
                  >
                    <FileText aria-hidden />
                    <span className="hidden sm:inline">Template</span>
                  </Button>
                )}
              </>
            )}
            <span className="flex-1" />
            {!note && mode.kind === "human_agent" && (
              <span className="hidden text-[11px] font-medium text-[oklch(0.48_0.12_65)] sm:inline" data-testid="composer-tag">
                HUMAN_AGENT
              </span>
            )}
            <Button
              type="submit"
              size="sm"
              data-testid="composer-send"
              title="Send (Enter; Shift+Enter for a new line)"
              disabled={!canSend}
              className={cn("h-8 shrink-0", note && "bg-amber-500 text-amber-950 hover:bg-amber-500/90")}
            >
              {busy ? <Spinner className="text-primary-foreground" label="Sending" /> : note ? <NotebookPen aria-hidden /> : <SendHorizontal aria-hidden />}
              {note ? "Add note" : "Send"}
            </Button>
          </div>
        </div>
      </form>
      {/* Outside the form: React bubbles the picker's own submit through its portal. */}
      {kind === "whatsapp" && (
        <TemplatePickerDialog
          open={templateOpen}
          onOpenChange={setTemplateOpen}
          channelId={conversation.channel_id}
          description={mode.kind === "template" ? (mode.reason ?? undefined) : undefined}
          onSubmit={sendTemplate}
        />
      )}
    </>
  );
}
