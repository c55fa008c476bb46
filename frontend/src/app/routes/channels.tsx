import { useSearchParams } from "react-router";

import { ChannelList } from "@/features/channels/components/channel-list";
import { ConnectLayout, MissingAccount } from "@/features/channels/components/connect-layout";
import { ConnectNotices } from "@/features/channels/components/connect-notices";
import { PagePicker } from "@/features/channels/components/page-picker";
import { WhatsAppWizard } from "@/features/channels/components/whatsapp-wizard";

export function ChannelsRoute() {
  return (
    <div className="h-full overflow-y-auto">
      <div className="mx-auto grid max-w-4xl gap-6 px-4 py-8 sm:px-6">
        <div className="grid gap-1">
          <h1 className="text-2xl font-semibold tracking-tight">Channels</h1>
          <p className="text-sm text-muted-foreground">
            The Facebook Pages and WhatsApp numbers whose messages arrive in this inbox.
          </p>
        </div>
        <ConnectNotices />
        <ChannelList />
      </div>
    </div>
  );
}

/** The `account` the backend put on the way back from Facebook's dialog. */
function useAccountId(): string | null {
  const [params] = useSearchParams();
  const account = params.get("account")?.trim();
  return account ? account : null;
}

export function ConnectMessengerRoute() {
  const accountId = useAccountId();
  return (
    <ConnectLayout
      title="Choose Pages to connect"
      description="These are the Facebook Pages you let Parley manage. Messages to the ones you connect arrive in the inbox."
    >
      {accountId === null ? <MissingAccount /> : <PagePicker key={accountId} accountId={accountId} />}
    </ConnectLayout>
  );
}

export function ConnectWhatsAppRoute() {
  const accountId = useAccountId();
  return (
    <ConnectLayout
      title="Connect a WhatsApp number"
      description="Pick the business, its WhatsApp Business Account, then the number whose messages should arrive in the inbox."
    >
      {accountId === null ? <MissingAccount /> : <WhatsAppWizard key={accountId} accountId={accountId} />}
    </ConnectLayout>
  );
}
