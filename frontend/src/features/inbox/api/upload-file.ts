import { apiClient, unwrap } from "@/lib/api/client";
import type { ChannelKind, UploadTicket } from "@/lib/api/types";

/** Asks for somewhere to put a file: a presigned URL the browser PUTs the bytes to. */
export function createUpload(file: Pick<File, "name" | "type" | "size">): Promise<UploadTicket> {
  return unwrap(
    apiClient.POST("/api/storage/uploads", {
      body: { filename: file.name, content_type: contentTypeOf(file), size: file.size },
    }),
  );
}

const BY_EXTENSION: Record<string, string> = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  mp4: "video/mp4",
  "3gp": "video/3gpp",
  aac: "audio/aac",
  amr: "audio/amr",
  mp3: "audio/mpeg",
  m4a: "audio/mp4",
  ogg: "audio/ogg",
  opus: "audio/ogg",
  pdf: "application/pdf",
  txt: "text/plain",
  doc: "application/msword",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xls: "application/vnd.ms-excel",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ppt: "application/vnd.ms-powerpoint",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
};

// Names browsers and operating systems give some files (the server's ALIASES).
const ALIASES: Record<string, string> = {
  "image/jpg": "image/jpeg",
  "image/pjpeg": "image/jpeg",
  "video/3gp": "video/3gpp",
  "audio/x-aac": "audio/aac",
  "audio/mp3": "audio/mpeg",
  "audio/x-m4a": "audio/mp4",
  "audio/m4a": "audio/mp4",
  "audio/opus": "audio/ogg",
};

/** The file's MIME type (guessed from its extension when the browser gives none), normalised. */
export function contentTypeOf(file: Pick<File, "type"> & Partial<Pick<File, "name">>): string {
  const given = file.type.split(";", 1)[0]?.trim().toLowerCase() ?? "";
  if (given !== "") return ALIASES[given] ?? given;
  const extension = file.name?.split(".").pop()?.toLowerCase() ?? "";
  return BY_EXTENSION[extension] ?? "application/octet-stream";
}

/** A PUT to storage that did not work, with a sentence for the agent. */
export class UploadError extends Error {
  readonly aborted: boolean;

  constructor(message: string, { aborted = false }: { aborted?: boolean } = {}) {
    super(message);
    this.name = "UploadError";
    this.aborted = aborted;
  }
}

export interface PutOptions {
  /** Bytes sent so far out of the total (from `upload.onprogress`). */
  onProgress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * PUTs the file to the presigned URL with exactly the headers the API gave (they are part
 * of the signature). XMLHttpRequest rather than fetch: only it reports upload progress.
 */
export function putFile(ticket: UploadTicket, file: Blob, { onProgress, signal }: PutOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new UploadError("Upload cancelled.", { aborted: true }));
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open(ticket.method || "PUT", ticket.url);
    for (const [name, value] of Object.entries(ticket.headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress?.(event.loaded, event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress?.(file.size, file.size);
        resolve();
      } else if (xhr.status === 403) {
        reject(new UploadError("The upload link was refused or has expired. Try attaching the file again."));
      } else {
        reject(new UploadError(`The file could not be stored (HTTP ${xhr.status}). Try again.`));
      }
    };
    xhr.onerror = () => reject(new UploadError("The upload was interrupted. Check your connection and try again."));
    xhr.onabort = () => reject(new UploadError("Upload cancelled.", { aborted: true }));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

/** Uploads a file and resolves to its `upload_id`, ready to send as an attachment. */
export async function uploadFile(file: File, options: PutOptions = {}): Promise<string> {
  const ticket = await createUpload(file);
  if (options.signal?.aborted === true) throw new UploadError("Upload cancelled.", { aborted: true });
  await putFile(ticket, file, options);
  return ticket.upload_id;
}

interface FileType {
  label: string;
  kind: "image" | "video" | "audio" | "document";
  /** null: the channel does not take this type. */
  whatsapp: number | null;
  messenger: number;
}

// What each channel takes and how large (api/uploads/limits.py, meta-platform.md 4.3 and
// 5.3), in decimal megabytes as the server counts. Checked before uploading so an agent
// hears at once; the server checks again and has the last word.
const MB = 1000 * 1000;
const image = (label: string, whatsapp = true): FileType => ({ label, kind: "image", whatsapp: whatsapp ? 5 * MB : null, messenger: 25 * MB });
const media = (kind: "video" | "audio", label: string): FileType => ({ label, kind, whatsapp: 16 * MB, messenger: 25 * MB });
const doc = (label: string): FileType => ({ label, kind: "document", whatsapp: 100 * MB, messenger: 25 * MB });

const FILE_TYPES: Record<string, FileType> = {
  "image/jpeg": image("JPEG image"),
  "image/png": image("PNG image"),
  "image/gif": image("GIF image", false),
  "video/mp4": media("video", "MP4 video"),
  "video/3gpp": media("video", "3GPP video"),
  "audio/aac": media("audio", "AAC audio"),
  "audio/amr": media("audio", "AMR audio"),
  "audio/mpeg": media("audio", "MP3 audio"),
  "audio/mp4": media("audio", "M4A audio"),
  "audio/ogg": media("audio", "OGG audio"),
  "application/pdf": doc("PDF document"),
  "text/plain": doc("text file"),
  "application/msword": doc("Word document"),
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": doc("Word document"),
  "application/vnd.ms-excel": doc("Excel spreadsheet"),
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": doc("Excel spreadsheet"),
  "application/vnd.ms-powerpoint": doc("PowerPoint presentation"),
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": doc("PowerPoint presentation"),
};

function megabytes(size: number): string {
  const value = size / MB;
  return value >= 10 || Number.isInteger(value) ? `${Math.round(value)} MB` : `${value.toFixed(1)} MB`;
}

/** Why this file cannot be sent on this channel, checked before uploading; null when it can. */
export function fileProblem(file: Pick<File, "name" | "type" | "size">, kind: ChannelKind): string | null {
  const channel = kind === "whatsapp" ? "WhatsApp" : "Messenger";
  if (file.size === 0) return `${file.name} is empty.`;
  const type = FILE_TYPES[contentTypeOf(file)];
  const max = type === undefined ? null : kind === "whatsapp" ? type.whatsapp : type.messenger;
  if (type === undefined || max === null) {
    const what = type?.label ?? "file of this type";
    return `${channel} does not accept a ${what} (${file.name}). It takes images, videos, audio, and PDF, text and Office documents.`;
  }
  if (file.size > max) {
    return `${channel} accepts a ${type.label} of at most ${megabytes(max)}; ${file.name} is ${megabytes(file.size)}.`;
  }
  return null;
}

/**
 * Does the channel send this file's caption with it? Messenger attachments and WhatsApp
 * audio carry none, so the text goes as a message of its own after the file.
 */
export function takesCaption(kind: ChannelKind, file: Pick<File, "type" | "name">): boolean {
  if (kind === "messenger") return false;
  return !contentTypeOf(file).startsWith("audio/");
}
