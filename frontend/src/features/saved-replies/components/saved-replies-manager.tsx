import { MessageSquareText, Pencil, Plus, Trash2 } from "lucide-react";
import { useId, useState, type FormEvent } from "react";

import { LoadError } from "@/components/load-error";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { Alert, AlertDescription } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Spinner } from "@/components/ui/spinner";
import { Textarea } from "@/components/ui/textarea";
import { useCan } from "@/features/auth/hooks/use-can";
import { ApiError, errorMessage } from "@/lib/api/errors";
import type { SavedReply } from "@/lib/api/types";

import { useCreateSavedReply, useDeleteSavedReply, useSavedReplies, useUpdateSavedReply } from "../api/saved-replies";
import { shortcutProblem, normalizeShortcut } from "../utils/shortcut";

const MAX_TITLE = 120;
const MAX_TEXT = 2000;

interface Draft {
  shortcut: string;
  title: string;
  text: string;
}

function draftProblems(draft: Draft): Partial<Record<keyof Draft, string>> {
  const problems: Partial<Record<keyof Draft, string>> = {};
  const shortcut = shortcutProblem(draft.shortcut);
  if (shortcut !== null) problems.shortcut = shortcut;
  if (draft.title.trim() === "") problems.title = "Give it a title.";
  else if (draft.title.length > MAX_TITLE) problems.title = `At most ${MAX_TITLE} characters.`;
  if (draft.text.trim() === "") problems.text = "Write the reply's text.";
  else if (draft.text.length > MAX_TEXT) problems.text = `At most ${MAX_TEXT} characters (Messenger's limit).`;
  return problems;
}

/** Create or edit one saved reply; the server's refusal (a shortcut taken...) shows inline. */
function SavedReplyForm({ reply, onDone }: { reply: SavedReply | null; onDone: () => void }) {
  const create = useCreateSavedReply();
  const update = useUpdateSavedReply();
  const [draft, setDraft] = useState<Draft>({
    shortcut: reply?.shortcut ?? "",
    title: reply?.title ?? "",
    text: reply?.text ?? "",
  });
  const [attempted, setAttempted] = useState(false);
  const ids = { shortcut: useId(), title: useId(), text: useId() };
  const mutation = reply === null ? create : update;
  const problems = attempted ? draftProblems(draft) : {};
  const serverError = mutation.error;
  const serverFields = serverError instanceof ApiError ? serverError.fields : [];
  const fieldError = (field: keyof Draft) => problems[field] ?? serverFields.find((f) => f.field === field)?.message;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setAttempted(true);
    if (Object.keys(draftProblems(draft)).length > 0) return;
    const body = { shortcut: normalizeShortcut(draft.shortcut), title: draft.title.trim(), text: draft.text };
    if (reply === null) create.mutate(body, { onSuccess: onDone });
    else update.mutate({ id: reply.id, changes: body }, { onSuccess: onDone });
  }

  const set = (field: keyof Draft) => (value: string) => {
    setDraft((d) => ({ ...d, [field]: value }));
    mutation.reset();
  };

  return (
    <form onSubmit={submit} className="grid gap-4" noValidate data-testid="saved-reply-form">
      <div className="grid gap-1.5">
        <Label htmlFor={ids.shortcut}>Shortcut</Label>
        <div className="relative">
          <span className="pointer-events-none absolute top-1/2 left-3 -translate-y-1/2 font-mono text-sm text-muted-foreground">/</span>
          <Input
            id={ids.shortcut}
            value={draft.shortcut.replace(/^\//, "")}
            onChange={(e) => set("shortcut")(e.target.value)}
            placeholder="thanks"
            className="pl-6 font-mono"
            aria-invalid={fieldError("shortcut") !== undefined || undefined}
            data-testid="saved-reply-shortcut"
          />
        </div>
        <p className={fieldError("shortcut") !== undefined ? "text-xs text-destructive" : "text-xs text-muted-foreground"}>
          {fieldError("shortcut") ?? "Type /shortcut in the composer to insert it. Letters, digits, - and _."}
        </p>
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor={ids.title}>Title</Label>
        <Input
          id={ids.title}
          value={draft.title}
          onChange={(e) => set("title")(e.target.value)}
          placeholder="Thank you"
          aria-invalid={fieldError("title") !== undefined || undefined}
          data-testid="saved-reply-title"
        />
        {fieldError("title") !== undefined && <p className="text-xs text-destructive">{fieldError("title")}</p>}
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor={ids.text}>Text</Label>
        <Textarea
          id={ids.text}
          value={draft.text}
          onChange={(e) => set("text")(e.target.value)}
          rows={5}
          aria-invalid={fieldError("text") !== undefined || undefined}
          data-testid="saved-reply-text"
        />
        <p className={fieldError("text") !== undefined ? "text-xs text-destructive" : "text-xs text-muted-foreground"}>
          {fieldError("text") ?? `${draft.text.length} / ${MAX_TEXT}`}
        </p>
      </div>
      {serverError !== null && serverFields.length === 0 && (
        <Alert variant="destructive" data-testid="saved-reply-error">
          <AlertDescription>{errorMessage(serverError)}</AlertDescription>
        </Alert>
      )}
      <div className="flex justify-end gap-2">
        <Button type="button" variant="outline" onClick={onDone}>
          Cancel
        </Button>
        <Button type="submit" disabled={mutation.isPending} data-testid="saved-reply-save">
          {mutation.isPending && <Spinner className="text-primary-foreground" label="Saving" />}
          {reply === null ? "Create" : "Save"}
        </Button>
      </div>
    </form>
  );
}

function DeleteSavedReply({ reply }: { reply: SavedReply }) {
  const [open, setOpen] = useState(false);
  const remove = useDeleteSavedReply();
  return (
    <ConfirmDialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) remove.reset();
      }}
      trigger={
        <Button variant="ghost" size="icon" className="size-8 text-muted-foreground hover:text-destructive" aria-label={`Delete /${reply.shortcut}`} data-testid="saved-reply-delete">
          <Trash2 aria-hidden />
        </Button>
      }
      title={`Delete /${reply.shortcut}?`}
      description="The whole team loses this saved reply. Messages already sent keep their text."
      confirmLabel="Delete"
      pending={remove.isPending}
      pendingLabel="Deleting"
      error={remove.error}
      onConfirm={() => remove.mutate(reply.id, { onSuccess: () => setOpen(false) })}
      confirmTestId="saved-reply-confirm-delete"
    />
  );
}

/** The team's saved replies: list, create, edit, delete. */
export function SavedRepliesManager() {
  const replies = useSavedReplies();
  const canEdit = useCan("saved_replies:manage") === true;
  const [editing, setEditing] = useState<SavedReply | "new" | null>(null);
  const items = replies.data?.pages.flatMap((page) => page.items) ?? [];

  let body;
  if (replies.isPending) {
    body = (
      <div className="flex justify-center py-12">
        <Spinner className="size-6" label="Loading saved replies" />
      </div>
    );
  } else if (replies.isError) {
    body = (
      <LoadError error={replies.error} onRetry={() => void replies.refetch()} />
    );
  } else if (items.length === 0) {
    body = (
      <EmptyState
        icon={MessageSquareText}
        title="No saved replies yet"
        description="Save the answers your team gives often, then type /shortcut in the composer to insert one."
      />
    );
  } else {
    body = (
      <ul className="divide-y overflow-hidden rounded-xl border bg-card" aria-label="Saved replies" data-testid="saved-reply-list">
        {items.map((reply) => (
          <li key={reply.id} className="flex items-start gap-3 px-4 py-3" data-testid="saved-reply-row" data-shortcut={reply.shortcut}>
            <div className="grid min-w-0 flex-1 gap-0.5">
              <p className="flex flex-wrap items-baseline gap-2">
                <span className="font-mono text-sm font-semibold text-primary">/{reply.shortcut}</span>
                <span className="text-sm font-medium">{reply.title}</span>
              </p>
              <p className="line-clamp-2 text-sm whitespace-pre-wrap text-muted-foreground">{reply.text}</p>
            </div>
            {canEdit && (
              <div className="flex shrink-0 gap-1">
                <Button variant="ghost" size="icon" className="size-8 text-muted-foreground" aria-label={`Edit /${reply.shortcut}`} onClick={() => setEditing(reply)} data-testid="saved-reply-edit">
                  <Pencil aria-hidden />
                </Button>
                <DeleteSavedReply reply={reply} />
              </div>
            )}
          </li>
        ))}
      </ul>
    );
  }

  return (
    <div className="grid gap-4">
      <div className="flex items-center justify-between gap-3">
        <p className="text-sm text-muted-foreground">{items.length > 0 && `${items.length} saved ${items.length === 1 ? "reply" : "replies"}`}</p>
        {canEdit && (
          <Button size="sm" onClick={() => setEditing("new")} data-testid="saved-reply-new">
            <Plus aria-hidden />
            New saved reply
          </Button>
        )}
      </div>
      {body}
      {replies.hasNextPage && (
        <div className="flex justify-center">
          <Button variant="outline" size="sm" onClick={() => void replies.fetchNextPage()} disabled={replies.isFetchingNextPage}>
            {replies.isFetchingNextPage && <Spinner />}
            Load more
          </Button>
        </div>
      )}
      <Dialog open={editing !== null} onOpenChange={(open) => !open && setEditing(null)}>
        <DialogContent className="sm:max-w-lg">
          <div className="grid gap-1">
            <DialogTitle>{editing === "new" ? "New saved reply" : "Edit saved reply"}</DialogTitle>
            <DialogDescription>Everyone on the team can insert it with its shortcut.</DialogDescription>
          </div>
          {editing !== null && (
            <SavedReplyForm key={editing === "new" ? "new" : editing.id} reply={editing === "new" ? null : editing} onDone={() => setEditing(null)} />
          )}
        </DialogContent>
      </Dialog>
    </div>
  );
}
