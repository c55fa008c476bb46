import { useCallback, useEffect, useRef, useState } from "react";

import { ApiError, errorMessage } from "@/lib/api/errors";
import type { ChannelKind } from "@/lib/api/types";
import { uuid } from "@/utils/id";

import { fileProblem, uploadFile, UploadError } from "../api/upload-file";

export interface StagedFile {
  id: string;
  file: File;
  state: "uploading" | "ready" | "failed";
  /** Bytes uploaded so far. */
  loaded: number;
  /** Set once the bytes are stored: what the send refers to. */
  uploadId: string | null;
  error: string | null;
  /** A failed upload that may work on a second try (not a file the channel refuses). */
  retryable: boolean;
}

export interface AttachmentTray {
  files: StagedFile[];
  add: (files: Iterable<File>) => void;
  /** Removes a file, cancelling its upload if it is still running. */
  remove: (id: string) => void;
  retry: (id: string) => void;
  clear: () => void;
  uploading: boolean;
  failed: boolean;
}

/**
 * Files waiting to be sent. Each is checked against the channel's limits, then uploaded at
 * once (presigned PUT, with progress) so the send only has to name it.
 */
export function useAttachmentTray(kind: ChannelKind): AttachmentTray {
  const [files, setFiles] = useState<StagedFile[]>([]);
  const controllers = useRef(new Map<string, AbortController>());

  const patch = useCallback((id: string, change: Partial<StagedFile>) => {
    setFiles((current) => current.map((f) => (f.id === id ? { ...f, ...change } : f)));
  }, []);

  const start = useCallback(
    (staged: StagedFile) => {
      const controller = new AbortController();
      controllers.current.set(staged.id, controller);
      uploadFile(staged.file, {
        signal: controller.signal,
        onProgress: (loaded) => patch(staged.id, { loaded }),
      }).then(
        (uploadId) => patch(staged.id, { state: "ready", uploadId, loaded: staged.file.size }),
        (error: unknown) => {
          if (error instanceof UploadError && error.aborted) return;
          const refused = error instanceof ApiError && error.status >= 400 && error.status < 500;
          patch(staged.id, { state: "failed", error: errorMessage(error), retryable: !refused });
        },
      ).finally(() => controllers.current.delete(staged.id));
    },
    [patch],
  );

  const add = useCallback(
    (incoming: Iterable<File>) => {
      const staged: StagedFile[] = [...incoming].map((file) => {
        const problem = fileProblem(file, kind);
        return {
          id: uuid(),
          file,
          state: problem === null ? "uploading" : "failed",
          loaded: 0,
          uploadId: null,
          error: problem,
          retryable: false,
        };
      });
      setFiles((current) => [...current, ...staged]);
      for (const file of staged) if (file.state === "uploading") start(file);
    },
    [kind, start],
  );

  const remove = useCallback((id: string) => {
    controllers.current.get(id)?.abort();
    controllers.current.delete(id);
    setFiles((current) => current.filter((f) => f.id !== id));
  }, []);

  const retry = useCallback(
    (id: string) => {
      const staged = files.find((f) => f.id === id);
      if (staged === undefined || !staged.retryable) return;
      const again: StagedFile = { ...staged, state: "uploading", loaded: 0, error: null, uploadId: null, retryable: false };
      patch(id, again);
      start(again);
    },
    [files, patch, start],
  );

  const clear = useCallback(() => {
    for (const controller of controllers.current.values()) controller.abort();
    controllers.current.clear();
    setFiles([]);
  }, []);

  // Leaving the conversation cancels uploads still running.
  useEffect(() => {
    const running = controllers.current;
    return () => {
      for (const controller of running.values()) controller.abort();
    };
  }, []);

  return {
    files,
    add,
    remove,
    retry,
    clear,
    uploading: files.some((f) => f.state === "uploading"),
    failed: files.some((f) => f.state === "failed"),
  };
}
