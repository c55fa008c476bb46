import { AlertCircle, AppWindow, Bot, FileQuestion, FileText, Info, Lock, Megaphone, RotateCcw, UserRound } from "lucide-react";
import { Fragment, memo, useEffect, useRef, useState, type ReactNode } from "react";

import { useCan } from "@/features/auth/hooks/use-can";
import { errorMessage } from "@/lib/api/errors";
import type { ChannelKind, Message } from "@/lib/api/types";
import { cn } from "@/lib/utils";
import { clockTime } from "@/utils/format";
import { safeExternalUrl } from "@/utils/url";

import { memberName, useTeamMemberMap } from "../api/get-team-members";
import { ownReaction, useReactToMessage } from "../api/react-to-message";
import { useRetryMessage } from "../api/retry-message";

import {
  forwardedLabel,
  isAdReferral,
  KNOWN_MESSAGE_TYPES,
  messageReferral,
  parseContacts,
  parseLink,
  parseLocation,
  parseOrder,
  parseReferral,
  parseUnsupported,
  referralLine,
  replyChip,
  str,
  withMessageDefaults,
  type ShownMessage,
} from "../utils/message-content";

import { canQuote, reactionAllowance } from "../utils/message-actions";

import { MessageActions } from "./message-actions";
import { MessageAttachments } from "./message-attachments";
import { ContactCards, LinkCard, LocationCard, OrderCard } from "./message-cards";
import { ForwardedLabel, MessageChip, MessageReactions, ReplyQuote } from "./message-parts";
import { MessageStatusIcon } from "./message-status";
import { bubbleTone, type BubbleTone } from "./message-tone";

export interface MessageBubbleProps {
  message: Message;
  /** The customer's name, for the reply quote and reaction tooltips. */
  contactName?: string | null;
  /** The id of the quoted message when it is loaded in this thread (its quote then scrolls to it). */
  replyTargetId?: string | null;
  onJumpToMessage?: (messageId: string) => void;
  /** Briefly marked after a jump from a reply quote. */
  highlighted?: boolean;
  /** The conversation's channel: what can be done with a message (react, quote) depends on it. */
  channelKind?: ChannelKind;
  /** The 24-hour window is open (reactions are allowed only then). */
  windowOpen?: boolean;
  /** "Reply" on a message: quote it in the composer. */
  onReply?: (message: Message) => void;
}

const URL_PATTERN = /(https?:\/\/[^\s<>"]+)/g;

/** Message text with its http(s) links clickable (nothing else is interpreted). */
function RichText({ text, tone, className }: { text: string; tone: BubbleTone; className?: string }) {
  const parts = text.split(URL_PATTERN);
  return (
    <p className={cn("whitespace-pre-wrap break-words", className)}>
      {parts.map((part, index) => {
        if (index % 2 === 0) return <Fragment key={index}>{part}</Fragment>;
        // Sentence punctuation right after a link is not part of it.
        const trailing = /[.,;:!?)\]]+$/.exec(part)?.[0] ?? "";
        const url = part.slice(0, part.length - trailing.length);
        const href = safeExternalUrl(url);
        return (
          <Fragment key={index}>
            {href === null ? (
              url
            ) : (
              <a href={href} target="_blank" rel="noopener noreferrer" className={cn("break-all", tone.link, "underline")}>
                {url}
              </a>
            )}
            {trailing}
          </Fragment>
        );
      })}
    </p>
  );
}

/** The grey centred line for system notices and referrals: not a bubble. */
function SystemLine({ message, icon, children }: { message: ShownMessage; icon: "info" | "ad"; children: ReactNode }) {
  const Icon = icon === "ad" ? Megaphone : Info;
  return (
    <div
      data-testid="system-line"
      data-message-id={message.id}
      data-type={message.type}
      className="flex justify-center py-1"
    >
      <p className="flex max-w-[85%] items-center gap-1.5 rounded-full bg-muted px-3 py-1 text-center text-xs text-muted-foreground">
        <Icon className="size-3.5 shrink-0" aria-hidden />
        <span>{children}</span>
        <time className="shrink-0 tabular-nums opacity-75" dateTime={message.created_at}>
          · {clockTime(message.created_at)}
        </time>
      </p>
    </div>
  );
}

function isUnsupported(message: ShownMessage): boolean {
  if (message.type === "unsupported" || !KNOWN_MESSAGE_TYPES.has(message.type)) return true;
  // A text message with nothing in it: nothing to show either.
  return message.type === "text" && (message.text ?? "").trim() === "" && message.attachments.length === 0;
}

const MEDIA_NOUN: Record<string, string> = { image: "Photo", video: "Video", audio: "Audio", file: "File", sticker: "Sticker" };

/** What is inside the bubble for the message's type (text, cards, chips), after any attachments. */
function TypedContent({ message, tone }: { message: ShownMessage; tone: BubbleTone }) {
  const { content } = message;
  const text = message.text !== null && message.text.trim() !== "" ? message.text : null;
  // Text a card already shows is not repeated under it.
  const shown = new Set<string>();
  let card: ReactNode = null;

  switch (message.type) {
    case "location": {
      const location = parseLocation(content);
      if (location !== null) {
        card = <LocationCard location={location} tone={tone} />;
        if (location.name !== null) shown.add(location.name);
        if (location.address !== null) shown.add(location.address);
      }
      break;
    }
    case "contacts": {
      const contacts = parseContacts(content);
      card = <ContactCards contacts={contacts} tone={tone} />;
      for (const contact of contacts) if (contact.name !== null) shown.add(contact.name);
      break;
    }
    case "link": {
      const link = parseLink(content);
      if (link !== null) {
        card = <LinkCard link={link} tone={tone} />;
        shown.add(link.url);
        if (link.title !== null) shown.add(link.title);
      }
      break;
    }
    case "order": {
      const order = parseOrder(content);
      card = <OrderCard order={order} tone={tone} />;
      if (order.note !== null) shown.add(order.note);
      break;
    }
    case "image":
    case "video":
    case "audio":
    case "file":
      if (message.attachments.length === 0) {
        card = <p className={cn("text-sm italic", tone.muted)}>{MEDIA_NOUN[message.type]}</p>;
      }
      break;
    default:
      break;
  }

  const chip = replyChip(message);
  const referral = messageReferral(content);
  const showText = text !== null && !shown.has(text.trim());

  return (
    <>
      {card}
      {showText && <RichText text={text} tone={tone} className={card !== null ? "mt-1.5" : undefined} />}
      {chip?.description != null && <p className={cn("text-xs", tone.muted)}>{chip.description}</p>}
      {(chip !== null || referral !== null) && (
        <div className="mt-1 flex flex-wrap gap-1">
          {chip !== null && (
            <MessageChip kind={message.type} tone={tone} title={chip.detail === null ? undefined : `Payload: ${chip.detail}`}>
              {chip.label}
            </MessageChip>
          )}
          {referral !== null && (
            <MessageChip
              kind="referral"
              tone={tone}
              icon="ad"
              title={referral.headline ?? referralLine(referral)}
            >
              {isAdReferral(referral) ? "From ad" : "From link"}
            </MessageChip>
          )}
        </div>
      )}
    </>
  );
}

function UnsupportedContent({ message }: { message: ShownMessage }) {
  const { providerType, reason } = parseUnsupported(message);
  const text = str(message.text);
  return (
    <div className="grid gap-0.5">
      <p className="flex items-center gap-1.5 font-medium">
        <FileQuestion className="size-4 shrink-0" aria-hidden />
        Unsupported message ({providerType})
      </p>
      {reason !== null && <p className="text-xs">{reason}</p>}
      {text !== null && <p className="whitespace-pre-wrap break-words text-foreground">{text}</p>}
    </div>
  );
}

/** How an outbound message went out: a WhatsApp template, Meta's HUMAN_AGENT tag, an automation. */
function SendLabels({ message }: { message: ShownMessage }) {
  const template = message.type === "template" ? str((message.content.template as Record<string, unknown> | undefined)?.name) : null;
  return (
    <>
      {message.type === "template" && (
        <span data-testid="message-tag" data-tag="template" className="mr-1 inline-flex items-center gap-0.5" title="Sent as an approved WhatsApp template">
          <FileText className="size-3" aria-hidden />
          {template === null ? "Template" : `Template · ${template}`}
        </span>
      )}
      {message.tag === "HUMAN_AGENT" && (
        <span
          data-testid="message-tag"
          data-tag="human_agent"
          className="mr-1 inline-flex items-center gap-0.5"
          title="Sent after the 24-hour window with Meta's HUMAN_AGENT tag"
        >
          <UserRound className="size-3" aria-hidden />
          Human agent
        </span>
      )}
      {message.automated === true && (
        <span data-testid="message-tag" data-tag="automated" className="mr-1 inline-flex items-center gap-0.5" title="Sent by an automation">
          <Bot className="size-3" aria-hidden />
          Automated
        </span>
      )}
    </>
  );
}

/** "Not delivered: <reason>" under a failed message, with a button to send it again. */
function FailedLine({ message }: { message: ShownMessage }) {
  const retry = useRetryMessage();
  // Sending again is a change: viewers see why it failed, not the button.
  const canWrite = useCan("conversations:write") === true;
  return (
    <div data-testid="message-error" className="flex max-w-[75%] flex-wrap items-center justify-end gap-x-2 gap-y-0.5 text-xs text-destructive">
      <span className="flex items-center gap-1">
        <AlertCircle className="size-3.5 shrink-0" aria-hidden />
        <span>Not delivered: {message.error?.reason || "the message could not be sent."}</span>
      </span>
      {canWrite && (
        <button
          type="button"
          onClick={() => retry.mutate(message)}
          disabled={retry.isPending}
          data-testid="message-retry"
          className="inline-flex items-center gap-1 rounded-md border border-destructive/30 px-1.5 py-0.5 font-medium hover:bg-destructive/10 focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none disabled:opacity-50"
        >
          <RotateCcw className="size-3" aria-hidden />
          Retry
        </button>
      )}
      {retry.isError && (
        <span className="basis-full text-right" role="alert" data-testid="message-retry-error">
          Could not send it again: {errorMessage(retry.error)}
        </span>
      )}
    </div>
  );
}

/** A teammate's private note: yellow, on the right, never sent to the customer. */
function NoteBubble({ message }: { message: ShownMessage }) {
  const members = useTeamMemberMap();
  const author = message.author_user_id === null ? undefined : members.get(message.author_user_id);
  return (
    <div
      data-testid="message-bubble"
      data-message-id={message.id}
      data-direction="note"
      data-status={message.status}
      data-type={message.type}
      className="flex scroll-my-16 flex-col items-end gap-1"
    >
      <div
        data-testid="note-bubble"
        className="flex max-w-[min(75%,36rem)] flex-col rounded-2xl rounded-br-md border border-amber-300 bg-amber-50 px-3.5 py-2 text-sm leading-relaxed text-amber-950 shadow-xs"
      >
        <p className="mb-0.5 flex items-center gap-1 text-[11px] font-semibold text-amber-800">
          <Lock className="size-3" aria-hidden />
          Private note{author !== undefined ? ` · ${memberName(author)}` : ""}
        </p>
        <RichText text={message.text ?? ""} tone={bubbleTone("inbound")} />
        <time className="mt-0.5 self-end text-[11px] text-amber-800/80 tabular-nums" dateTime={message.created_at}>
          {clockTime(message.created_at)}
        </time>
      </div>
    </div>
  );
}

/** Long press on a touch screen shows a message's actions (there is no hover there). */
function useLongPress(onLongPress: () => void, ms = 450) {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const cancel = () => {
    if (timer.current !== null) clearTimeout(timer.current);
    timer.current = null;
  };
  useEffect(() => cancel, []);
  return {
    onTouchStart: () => {
      cancel();
      timer.current = setTimeout(onLongPress, ms);
    },
    onTouchEnd: cancel,
    onTouchMove: cancel,
    onTouchCancel: cancel,
  };
}

function BubbleFooter({ message, tone, floating }: { message: ShownMessage; tone: BubbleTone; floating: boolean }) {
  const outbound = message.direction === "outbound";
  return (
    <div
      className={cn(
        "mt-0.5 flex items-center justify-end gap-1 text-[11px] tabular-nums",
        floating ? "w-fit self-end rounded-full bg-background/90 px-2 py-0.5 text-muted-foreground shadow-xs" : tone.muted,
      )}
    >
      {message.written_elsewhere && (
        <span data-testid="written-elsewhere" className="mr-1 inline-flex items-center gap-0.5" title="Sent by the business from another app">
          <AppWindow className="size-3" aria-hidden />
          Sent from another app
        </span>
      )}
      <SendLabels message={message} />
      <time dateTime={message.sent_at ?? message.created_at}>{clockTime(message.created_at)}</time>
      {outbound && <MessageStatusIcon status={message.status} className={floating ? "text-muted-foreground" : undefined} />}
    </div>
  );
}

function ChatBubble({
  message,
  contactName = null,
  replyTargetId = null,
  onJumpToMessage,
  highlighted = false,
  channelKind,
  windowOpen = false,
  onReply,
}: MessageBubbleProps & { message: ShownMessage }) {
  const react = useReactToMessage();
  const [touchActions, setTouchActions] = useState(false);
  const longPress = useLongPress(() => setTouchActions(true));
  const rootRef = useRef<HTMLDivElement>(null);
  // A tap anywhere else puts the long-pressed actions away again.
  useEffect(() => {
    if (!touchActions) return;
    const away = (event: PointerEvent) => {
      if (!(event.target instanceof Node) || !rootRef.current?.contains(event.target)) setTouchActions(false);
    };
    document.addEventListener("pointerdown", away);
    return () => document.removeEventListener("pointerdown", away);
  }, [touchActions]);
  // Reacting and quoting are changes: not offered to viewers.
  const canWrite = useCan("conversations:write") === true;
  const reactions = canWrite ? reactionAllowance(message, channelKind, windowOpen) : null;
  const quotable = canWrite && onReply !== undefined && canQuote(message, channelKind);
  const reactWith = (emoji: string) => {
    setTouchActions(false);
    react.mutate({ message, emoji });
  };
  const outbound = message.direction === "outbound";
  const failed = message.status === "failed";
  const tone = bubbleTone(message.direction);
  const unsupported = isUnsupported(message);
  const sticker = !unsupported && message.type === "sticker";
  const visualMedia =
    !unsupported && !sticker && message.attachments.some((a) => a.kind === "image" || a.kind === "video");
  const pad = visualMedia ? "px-2" : undefined;
  const forwarded = forwardedLabel(message.content);
  const caption = str(message.text);

  const quote =
    message.reply_to !== null ? (
      <div className={pad}>
        <ReplyQuote
          replyTo={message.reply_to}
          tone={sticker ? bubbleTone("inbound") : tone}
          contactName={contactName}
          targetId={replyTargetId}
          onJump={onJumpToMessage}
        />
      </div>
    ) : null;

  let inner: ReactNode;
  if (sticker) {
    inner = (
      <div className={cn("flex flex-col gap-1 rounded-2xl", outbound ? "items-end" : "items-start", highlighted && "ring-2 ring-amber-400")}>
        {forwarded !== null && <ForwardedLabel label={forwarded} tone={bubbleTone("inbound")} />}
        {quote}
        {message.attachments.length > 0 ? (
          <MessageAttachments attachments={message.attachments} tone={bubbleTone("inbound")} />
        ) : (
          <p className="text-sm text-muted-foreground italic">Sticker</p>
        )}
        <BubbleFooter message={message} tone={tone} floating />
      </div>
    );
  } else {
    inner = (
      <div
        className={cn(
          "flex max-w-[min(75%,36rem)] flex-col rounded-2xl text-sm leading-relaxed shadow-xs transition-shadow",
          visualMedia ? "p-1 pb-1.5" : "px-3.5 py-2",
          unsupported
            ? "border border-dashed border-muted-foreground/40 bg-muted text-muted-foreground"
            : outbound
              ? "bg-bubble-outbound text-primary-foreground"
              : "bg-bubble-inbound text-foreground",
          outbound ? "rounded-br-md" : "rounded-bl-md",
          failed && !unsupported && "bg-bubble-outbound/75 ring-2 ring-destructive/60",
          highlighted && "ring-2 ring-amber-400 ring-offset-2",
        )}
      >
        {forwarded !== null && (
          <div className={pad}>
            <ForwardedLabel label={forwarded} tone={tone} />
          </div>
        )}
        {quote}
        {unsupported ? (
          <UnsupportedContent message={message} />
        ) : (
          <>
            <MessageAttachments
              attachments={message.attachments}
              tone={tone}
              alt={caption ?? MEDIA_NOUN[message.type] ?? "Photo"}
              voice={message.content.voice === true}
            />
            <div className={cn(pad, message.attachments.length > 0 && "[&>:first-child]:mt-1.5")}>
              <TypedContent message={message} tone={tone} />
            </div>
          </>
        )}
        <div className={pad}>
          <BubbleFooter message={message} tone={unsupported ? bubbleTone("inbound") : tone} floating={false} />
        </div>
      </div>
    );
  }

  return (
    <div
      ref={rootRef}
      data-testid="message-bubble"
      data-message-id={message.id}
      data-direction={message.direction}
      data-status={message.status}
      data-type={message.type}
      data-highlighted={highlighted || undefined}
      className={cn("group/message flex scroll-my-16 flex-col gap-1", outbound ? "items-end" : "items-start")}
      {...(reactions !== null || quotable ? longPress : {})}
    >
      <div className={cn("flex w-full items-center gap-1.5", outbound && "flex-row-reverse")}>
        {inner}
        <MessageActions
          message={message}
          reactions={reactions}
          onReact={reactWith}
          onReply={quotable ? () => onReply(message) : undefined}
          visible={touchActions}
        />
      </div>
      <MessageReactions
        reactions={message.reactions}
        outbound={outbound}
        contactName={contactName}
        onRemoveOwn={reactions?.allowed === true && ownReaction(message) !== null ? () => reactWith("") : undefined}
      />
      {react.isError && (
        <p role="alert" data-testid="reaction-error" className="flex max-w-[75%] items-center gap-1 text-xs text-destructive">
          <AlertCircle className="size-3.5 shrink-0" aria-hidden />
          <span>Reaction not sent: {errorMessage(react.error)}</span>
          <button type="button" className="ml-1 underline" onClick={() => react.reset()}>
            Dismiss
          </button>
        </p>
      )}
      {failed && outbound && <FailedLine message={message} />}
      {failed && !outbound && (
        <p data-testid="message-error" className="flex max-w-[75%] items-center gap-1 text-xs text-destructive">
          <AlertCircle className="size-3.5 shrink-0" aria-hidden />
          <span>Not delivered: {message.error?.reason || "the message could not be sent."}</span>
        </p>
      )}
    </div>
  );
}

/**
 * One message as the agent expects to see it: text, media, cards, taps, reactions, the quote
 * it replies to, and delivery ticks; system notices and referrals as centred grey lines.
 */
export const MessageBubble = memo(function MessageBubble(props: MessageBubbleProps) {
  const message = withMessageDefaults(props.message);
  if (message.direction === "note") return <NoteBubble message={message} />;
  if (message.type === "system") {
    return (
      <SystemLine message={message} icon="info">
        {str(message.content.body) ?? str(message.text) ?? "Conversation updated"}
      </SystemLine>
    );
  }
  if (message.type === "referral") {
    return (
      <SystemLine message={message} icon="ad">
        {referralLine(parseReferral(message.content))}
      </SystemLine>
    );
  }
  return <ChatBubble {...props} message={message} />;
});
