import { SavedRepliesManager } from "@/features/saved-replies/components/saved-replies-manager";

export function SavedRepliesRoute() {
  return (
    <div className="h-full overflow-y-auto">
      <div className="mx-auto grid max-w-3xl gap-6 px-4 py-8 sm:px-6">
        <div className="grid gap-1">
          <h1 className="text-2xl font-semibold tracking-tight">Saved replies</h1>
          <p className="text-sm text-muted-foreground">
            Answers your team sends often. Type <span className="font-mono">/</span> and the shortcut in the composer to insert one.
          </p>
        </div>
        <SavedRepliesManager />
      </div>
    </div>
  );
}
