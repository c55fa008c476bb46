import { useEffect } from "react";

import { unreadLabel, type UnreadCount } from "../api/get-unread-summary";

export const APP_TITLE = "Parley";

/** "(3) Parley" while conversations are unread, "Parley" otherwise (and once unmounted). */
export function useUnreadTitle(unread: UnreadCount | undefined): void {
  const title = unread === undefined || unread.count === 0 ? APP_TITLE : `(${unreadLabel(unread)}) ${APP_TITLE}`;
  useEffect(() => {
    document.title = title;
  }, [title]);
  useEffect(
    () => () => {
      document.title = APP_TITLE;
    },
    [],
  );
}
