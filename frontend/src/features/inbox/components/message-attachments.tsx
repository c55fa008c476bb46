import {
  AlertTriangle,
  Download,
  ExternalLink,
  File,
  FileArchive,
  FileAudio,
  FileImage,
  FileSpreadsheet,
  FileText,
  FileVideo,
  Mic,
  RotateCw,
  type LucideIcon,
} from "lucide-react";
import { createElement, useState, type ReactNode } from "react";

import { Dialog, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";
import { Spinner } from "@/components/ui/spinner";
import type { Attachment, AttachmentKind } from "@/lib/api/types";
import { cn } from "@/lib/utils";
import { formatBytes } from "@/utils/format";

import { useAttachmentSource, type AttachmentSource } from "../api/get-attachment-url";
import { attachmentKind } from "../utils/message-content";

import type { BubbleTone } from "./message-tone";

const KIND_NOUN: Record<AttachmentKind, string> = {
  image: "Photo",
  video: "Video",
  audio: "Audio",
  file: "File",
  sticker: "Sticker",
};

interface FrameProps {
  attachment: Attachment;
  className?: string;
  children: ReactNode;
}

/** The element every attachment renders in: `attachment` with its state and kind. */
function AttachmentFrame({ attachment, className, children }: FrameProps) {
  return (
    <div
      data-testid="attachment"
      data-attachment-id={attachment.id}
      data-state={attachment.state}
      data-kind={attachment.kind}
      className={cn("min-w-0", className)}
    >
      {children}
    </div>
  );
}

/** Still being fetched from Meta by the worker. */
function PendingAttachment({ attachment, tone }: { attachment: Attachment; tone: BubbleTone }) {
  const kind = attachmentKind(attachment);
  const visual = kind === "image" || kind === "video" || kind === "sticker";
  return (
    <div
      className={cn(
        "flex items-center justify-center gap-2 rounded-lg text-xs",
        tone.surface,
        tone.muted,
        visual ? "aspect-[4/3] w-60 max-w-full animate-pulse" : "h-12 w-60 max-w-full px-3",
      )}
    >
      <Spinner className={cn("size-3.5", tone.muted)} label={`Downloading ${KIND_NOUN[attachmentKind(attachment)].toLowerCase()}`} />
      <span>Downloading…</span>
    </div>
  );
}

/** The worker gave up (too large, expired at Meta, unsupported...), or the link would not load. */
function UnavailableAttachment({
  attachment,
  tone,
  reason,
  onRetry,
}: {
  attachment: Attachment;
  tone: BubbleTone;
  reason: string | null;
  onRetry?: () => void;
}) {
  return (
    <div className={cn("flex w-64 max-w-full items-start gap-2 rounded-lg px-3 py-2 text-xs", tone.surface)}>
      <AlertTriangle className="mt-0.5 size-3.5 shrink-0" aria-hidden />
      <div className="min-w-0">
        <p className="font-medium">Attachment unavailable</p>
        <p className={cn("break-words", tone.muted)}>
          {reason ?? `This ${KIND_NOUN[attachmentKind(attachment)].toLowerCase()} could not be loaded.`}
        </p>
        {onRetry !== undefined && (
          <button type="button" onClick={onRetry} className={cn("mt-1 inline-flex items-center gap-1 font-medium", tone.link)}>
            <RotateCw className="size-3" aria-hidden />
            Try again
          </button>
        )}
      </div>
    </div>
  );
}

function MediaSkeleton({ tone, className }: { tone: BubbleTone; className?: string }) {
  return (
    <div className={cn("flex items-center justify-center rounded-lg", tone.surface, className)}>
      <Spinner className={cn("size-4", tone.muted)} label="Loading attachment" />
    </div>
  );
}

function ImageLightbox({
  open,
  onOpenChange,
  url,
  alt,
  filename,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  url: string;
  alt: string;
  filename: string | null;
}) {
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent
        data-testid="image-lightbox"
        overlayClassName="bg-black/85"
        className="w-auto max-w-[95vw] gap-3 border-0 bg-transparent p-0 text-white shadow-none sm:max-w-[95vw] [&>button]:-top-8 [&>button]:right-0 [&>button]:text-white [&>button>svg]:size-6"
      >
        <DialogTitle className="sr-only">{alt}</DialogTitle>
        <DialogDescription className="sr-only">The photo at full size.</DialogDescription>
        <img src={url} alt={alt} className="max-h-[85vh] max-w-[95vw] rounded-md object-contain" />
        <div className="flex items-center justify-center gap-4 text-sm">
          <a href={url} target="_blank" rel="noopener noreferrer" className="inline-flex items-center gap-1.5 hover:underline">
            <ExternalLink className="size-4" aria-hidden />
            Open in new tab
          </a>
          <a href={url} download={filename ?? ""} className="inline-flex items-center gap-1.5 hover:underline">
            <Download className="size-4" aria-hidden />
            Download
          </a>
        </div>
      </DialogContent>
    </Dialog>
  );
}

function ImageAttachment({ attachment, source, alt, tone, tile }: { attachment: Attachment; source: AttachmentSource; alt: string; tone: BubbleTone; tile: boolean }) {
  const [open, setOpen] = useState(false);
  if (source.url === null) {
    return <MediaSkeleton tone={tone} className={tile ? "aspect-square w-full" : "aspect-[4/3] w-60 max-w-full"} />;
  }
  return (
    <>
      <button
        type="button"
        onClick={() => setOpen(true)}
        className="block overflow-hidden rounded-lg focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
        aria-label={`Open ${alt.toLowerCase() === "photo" ? "photo" : `photo: ${alt}`} at full size`}
      >
        <img
          src={source.url}
          alt={alt}
          loading="lazy"
          onError={source.onLoadError}
          onLoad={source.onLoaded}
          className={cn(
            "block bg-black/5 object-cover transition-opacity hover:opacity-95",
            // A definite width: a percentage alone would let a large photo widen the bubble.
            tile ? "aspect-square w-full" : "h-auto max-h-80 w-72 max-w-full",
          )}
        />
      </button>
      <ImageLightbox open={open} onOpenChange={setOpen} url={source.url} alt={alt} filename={attachment.filename} />
    </>
  );
}

function StickerAttachment({ source }: { source: AttachmentSource }) {
  if (source.url === null) return <div className="size-32 animate-pulse rounded-2xl bg-muted" />;
  return (
    <img
      src={source.url}
      alt="Sticker"
      loading="lazy"
      onError={source.onLoadError}
      onLoad={source.onLoaded}
      className="size-32 object-contain"
    />
  );
}

function VideoAttachment({ source, tone }: { source: AttachmentSource; tone: BubbleTone }) {
  if (source.url === null) return <MediaSkeleton tone={tone} className="aspect-video w-72 max-w-full" />;
  return (
    <video
      src={source.url}
      controls
      preload="metadata"
      playsInline
      onError={source.onLoadError}
      onLoadedMetadata={source.onLoaded}
      className="block max-h-80 w-72 max-w-full rounded-lg bg-black"
    />
  );
}

function VoiceLabel({ tone }: { tone: BubbleTone }) {
  return (
    <p className={cn("mb-1 flex items-center gap-1 text-xs font-medium", tone.muted)}>
      <Mic className="size-3.5" aria-hidden />
      Voice message
    </p>
  );
}

function AudioAttachment({ source, tone, voice }: { source: AttachmentSource; tone: BubbleTone; voice: boolean }) {
  return (
    <div className="w-72 max-w-full">
      {source.url === null ? (
        <MediaSkeleton tone={tone} className="h-10 w-full" />
      ) : (
        <audio
          src={source.url}
          controls
          preload="metadata"
          onError={source.onLoadError}
          onLoadedMetadata={source.onLoaded}
          className="h-10 w-full"
          aria-label={voice ? "Voice message" : "Audio"}
        />
      )}
    </div>
  );
}

function fileIconFor(mime: string | null, filename: string | null): LucideIcon {
  const type = (mime ?? "").toLowerCase();
  const ext = (filename ?? "").toLowerCase().split(".").pop() ?? "";
  if (type.startsWith("image/")) return FileImage;
  if (type.startsWith("video/")) return FileVideo;
  if (type.startsWith("audio/")) return FileAudio;
  if (/zip|rar|7z|tar|gzip/.test(type) || ["zip", "rar", "7z", "gz", "tar"].includes(ext)) return FileArchive;
  if (/sheet|excel|csv/.test(type) || ["xls", "xlsx", "csv", "ods"].includes(ext)) return FileSpreadsheet;
  if (/pdf|word|document|text/.test(type) || ["pdf", "doc", "docx", "txt", "odt", "rtf"].includes(ext)) return FileText;
  return File;
}

function FileIcon({ attachment }: { attachment: Attachment }) {
  const icon = fileIconFor(attachment.mime_type, attachment.filename);
  return createElement(icon, { className: "size-5", "aria-hidden": true });
}

/** "PDF · 1.2 MB" under a file's name. */
function fileDetails(attachment: Attachment): string {
  const ext = attachment.filename?.includes(".") ? attachment.filename.split(".").pop() : undefined;
  const subtype = attachment.mime_type?.split("/")[1]?.split(/[;+.-]/)[0];
  const label = (ext ?? subtype ?? "").toUpperCase().slice(0, 8);
  return [label, formatBytes(attachment.size)].filter(Boolean).join(" · ");
}

function FileAttachment({ attachment, source, tone }: { attachment: Attachment; source: AttachmentSource; tone: BubbleTone }) {
  const name = attachment.filename ?? "File";
  const details = fileDetails(attachment);
  return (
    <div className={cn("flex w-64 max-w-full items-center gap-3 rounded-lg px-3 py-2", tone.surface)}>
      <span
        className={cn(
          "flex size-9 shrink-0 items-center justify-center rounded-md",
          tone.outbound ? "bg-white/20" : "bg-primary/10 text-primary",
        )}
      >
        <FileIcon attachment={attachment} />
      </span>
      <div className="min-w-0 flex-1">
        <p className="truncate text-sm font-medium" title={name}>
          {name}
        </p>
        {details !== "" && <p className={cn("truncate text-xs", tone.muted)}>{details}</p>}
      </div>
      {source.url === null ? (
        <Spinner className={cn("size-4", tone.muted)} label="Preparing download" />
      ) : (
        <a
          href={source.url}
          download={attachment.filename ?? ""}
          target="_blank"
          rel="noopener noreferrer"
          data-testid="attachment-download"
          className={cn(
            "flex size-8 shrink-0 items-center justify-center rounded-full transition-colors",
            tone.outbound ? "hover:bg-white/20" : "text-primary hover:bg-primary/10",
          )}
          aria-label={`Download ${name}`}
          title="Download"
        >
          <Download className="size-4" aria-hidden />
        </a>
      )}
    </div>
  );
}

export interface AttachmentViewProps {
  attachment: Attachment;
  tone: BubbleTone;
  /** Alt text / the caption, for images. */
  alt?: string;
  /** content.voice on an audio message. */
  voice?: boolean;
  /** A square tile in a gallery of several images. */
  tile?: boolean;
}

/** One attachment: downloading, unavailable, or the media itself from a presigned URL. */
export function AttachmentView({ attachment, tone, alt, voice = false, tile = false }: AttachmentViewProps) {
  const source = useAttachmentSource(attachment);
  let body: ReactNode;
  if (attachment.state === "pending") {
    body = <PendingAttachment attachment={attachment} tone={tone} />;
  } else if (attachment.state === "failed") {
    body = <UnavailableAttachment attachment={attachment} tone={tone} reason={attachment.error} />;
  } else if (source.failed) {
    body = (
      <UnavailableAttachment attachment={attachment} tone={tone} reason="The file could not be loaded." onRetry={source.retry} />
    );
  } else {
    switch (attachmentKind(attachment)) {
      case "image":
        body = <ImageAttachment attachment={attachment} source={source} alt={alt ?? "Photo"} tone={tone} tile={tile} />;
        break;
      case "sticker":
        body = <StickerAttachment source={source} />;
        break;
      case "video":
        body = <VideoAttachment source={source} tone={tone} />;
        break;
      case "audio":
        body = <AudioAttachment source={source} tone={tone} voice={voice} />;
        break;
      default:
        body = <FileAttachment attachment={attachment} source={source} tone={tone} />;
    }
  }
  return (
    <AttachmentFrame attachment={attachment} className={tile ? "w-full" : undefined}>
      {attachmentKind(attachment) === "audio" && voice && <VoiceLabel tone={tone} />}
      {body}
    </AttachmentFrame>
  );
}

/** All of a message's attachments; several stored images form a two-column gallery. */
export function MessageAttachments({
  attachments,
  tone,
  alt,
  voice,
}: {
  attachments: Attachment[];
  tone: BubbleTone;
  alt?: string;
  voice?: boolean;
}) {
  if (attachments.length === 0) return null;
  const images = attachments.filter((a) => attachmentKind(a) === "image");
  const others = attachments.filter((a) => attachmentKind(a) !== "image");
  const gallery = images.length > 1;
  return (
    <div className="grid grid-cols-1 gap-1">
      {images.length > 0 && (
        <div className={cn("grid max-w-full gap-1", gallery ? "w-72 grid-cols-2" : "grid-cols-1")}>
          {images.map((attachment) => (
            <AttachmentView key={attachment.id} attachment={attachment} tone={tone} alt={alt} tile={gallery} />
          ))}
        </div>
      )}
      {others.map((attachment) => (
        <AttachmentView key={attachment.id} attachment={attachment} tone={tone} voice={voice} />
      ))}
    </div>
  );
}
