import { SettingsPage } from "@/components/settings-page";
import { SavedRepliesManager } from "@/features/saved-replies/components/saved-replies-manager";

export function SavedRepliesRoute() {
  return (
    <SettingsPage
      title="Saved replies"
      description={
        <>
          Answers your team sends often. Type <span className="font-mono">/</span> and the shortcut in the composer to insert one.
        </>
      }
      width="3xl"
    >
      <SavedRepliesManager />
    </SettingsPage>
  );
}
