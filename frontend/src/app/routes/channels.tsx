import { useSearchParams } from "react-router";

import { SettingsPage } from "@/components/settings-page";
import { ChannelList } from "@/features/channels/components/channel-list";
import { ConnectLayout, MissingAccount } from "@/features/channels/components/connect-layout";
import { ConnectNotices } from "@/features/channels/components/connect-notices";
import { PagePicker } from "@/features/channels/components/page-picker";
import { WhatsAppWizard } from "@/features/channels/components/whatsapp-wizard";

export function ChannelsRoute() {
  return (
    <SettingsPage title="Channels" description="The Facebook Pages and WhatsApp numbers whose messages arrive in this inbox.">
      <ConnectNotices />
      <ChannelList />
    </SettingsPage>
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
