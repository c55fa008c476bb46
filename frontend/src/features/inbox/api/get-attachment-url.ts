import { queryOptions, useQuery } from "@tanstack/react-query";
import { useCallback, useState } from "react";

import { apiClient, unwrap } from "@/lib/api/client";
import type { Attachment, AttachmentUrl } from "@/lib/api/types";
import { attachmentKeys } from "@/lib/query-keys";

export function getAttachmentUrl(attachmentId: string): Promise<AttachmentUrl> {
  return unwrap(
    apiClient.GET("/api/inbox/attachments/{attachment_id}/url", {
      params: { path: { attachment_id: attachmentId } },
    }),
  );
}

/**
 * How long a presigned link counts as fresh: half of the life it had when fetched, so an
 * element mounting later always gets a link with plenty of time left.
 */
export function attachmentUrlStaleTime(data: AttachmentUrl | undefined, fetchedAt: number): number {
  if (data === undefined) return 0;
  const life = Date.parse(data.expires_at) - fetchedAt;
  if (!Number.isFinite(life) || life <= 0) return 0;
  return Math.floor(life / 2);
}

export const attachmentUrlQueryOptions = (attachmentId: string) =>
  queryOptions({
    queryKey: attachmentKeys.url(attachmentId),
    queryFn: () => getAttachmentUrl(attachmentId),
    staleTime: (query) => attachmentUrlStaleTime(query.state.data, query.state.dataUpdatedAt),
    // A new link for a mounted element would restart a playing video; a link is replaced when
    // a new element mounts after it went stale, or when the browser fails to load it.
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
  });

export interface AttachmentSource {
  /** The presigned URL to load, once known (and not known to be broken). */
  url: string | null;
  /** Asking the API for a link (first time or after the browser failed to load one). */
  loading: boolean;
  /** No usable link: the API refused, or the link failed to load even after a fresh one. */
  failed: boolean;
  /** For `onError` of an <img>/<video>/<audio>: fetch a fresh link once, then give up. */
  onLoadError: () => void;
  /** For `onLoad`/`onLoadedMetadata`: the link works (a later failure may refetch again). */
  onLoaded: () => void;
  /** "Try again" after a failure. */
  retry: () => void;
}

/** The presigned URL of a stored attachment, fetched through the query cache. */
export function useAttachmentSource(attachment: Pick<Attachment, "id" | "state">): AttachmentSource {
  const stored = attachment.state === "stored";
  const query = useQuery({ ...attachmentUrlQueryOptions(attachment.id), enabled: stored });
  // The last link the browser could not load, and how many in a row failed.
  const [broken, setBroken] = useState<{ url: string; failures: number } | null>(null);
  const { refetch } = query;
  const url = query.data?.url ?? null;

  const onLoadError = useCallback(() => {
    if (url === null || broken?.url === url) return;
    const failures = (broken?.failures ?? 0) + 1;
    setBroken({ url, failures });
    // Most likely the link expired while the page was open: one fresh link, not a loop.
    if (failures === 1) void refetch();
  }, [url, broken, refetch]);

  const onLoaded = useCallback(() => {
    if (broken !== null && broken.url !== url) setBroken(null);
  }, [broken, url]);

  const retry = useCallback(() => {
    setBroken(null);
    void refetch();
  }, [refetch]);

  const linkBroken = broken !== null && url === broken.url;
  const usable = url !== null && !linkBroken ? url : null;
  const failed = stored && usable === null && !query.isFetching && (query.isError || linkBroken);
  return {
    url: usable,
    loading: stored && usable === null && !failed,
    failed,
    onLoadError,
    onLoaded,
    retry,
  };
}
