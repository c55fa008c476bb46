import type { ReactNode } from "react";

import { SettingsPage } from "@/components/settings-page";
import { useCan } from "@/features/auth/hooks/use-can";
import { DeleteWorkspace } from "@/features/data/components/delete-workspace";
import { ExportsPanel } from "@/features/data/components/exports-panel";
import { LegalLinks } from "@/features/data/components/legal-links";
import { TrashList } from "@/features/data/components/trash-list";
import { cn } from "@/lib/utils";

function Section({
  title,
  description,
  children,
  danger = false,
  testId,
}: {
  title: string;
  description: ReactNode;
  children: ReactNode;
  danger?: boolean;
  testId: string;
}) {
  return (
    <section
      data-testid={testId}
      aria-labelledby={`${testId}-title`}
      className={cn("grid gap-4 rounded-xl border bg-card py-5 shadow-sm", danger && "border-destructive/40")}
    >
      <div className="grid gap-1 px-4">
        <h2 id={`${testId}-title`} className={cn("text-base font-semibold", danger && "text-destructive")}>
          {title}
        </h2>
        <p className="text-sm text-muted-foreground">{description}</p>
      </div>
      {children}
    </section>
  );
}

function DataSections() {
  const canExport = useCan("tenant:export") === true;
  const owns = useCan("tenant:own") === true;
  return (
    <>
      <Section
        testId="trash-section"
        title="Deleted conversations"
        description="Deleted conversations stay here for 30 days, then they are erased with their messages and files. A customer who writes again brings theirs back."
      >
        <TrashList />
      </Section>
      {canExport && (
        <Section testId="export-section" title="Export data" description="Download a copy of everything this workspace holds.">
          <ExportsPanel />
        </Section>
      )}
      <Section
        testId="legal-section"
        title="Privacy and terms"
        description="The public pages Meta's app review asks for; the operator of this Parley edits them."
      >
        <LegalLinks className="justify-start px-4 text-sm" />
      </Section>
      {owns && (
        <Section testId="danger-zone" title="Delete workspace" description="Close this workspace for good." danger>
          <DeleteWorkspace />
        </Section>
      )}
    </>
  );
}

/**
 * Settings → Data & privacy: the trash (admins and owners), the workspace's data exports
 * and deleting the workspace (owners), and the public legal pages.
 */
export function DataRoute() {
  return (
    <SettingsPage
      title="Data & privacy"
      description="Deleted conversations, your workspace's data, and the policies that apply to it."
      permission="conversations:delete"
      denied={{
        title: "Data & privacy is for owners and admins",
        description: "Ask an owner or admin of this workspace to restore a conversation or export data.",
      }}
    >
      <DataSections />
    </SettingsPage>
  );
}
