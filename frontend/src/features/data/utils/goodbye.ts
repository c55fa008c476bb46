const GOODBYE_KEY = "parley.goodbye";

/** Remember, across the sign-out, to say goodbye on the sign-in page (once). */
export function sayGoodbyeNext(): void {
  try {
    sessionStorage.setItem(GOODBYE_KEY, "workspace-deleted");
  } catch {
    // No session storage: the sign-in page simply shows no notice.
  }
}

export function pendingGoodbye(): boolean {
  try {
    return sessionStorage.getItem(GOODBYE_KEY) === "workspace-deleted";
  } catch {
    return false;
  }
}

export function forgetGoodbye(): void {
  try {
    sessionStorage.removeItem(GOODBYE_KEY);
  } catch {
    // Nothing to forget.
  }
}
