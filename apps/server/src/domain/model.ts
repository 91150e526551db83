/** Domain objects (camelCase); storage maps rows to these explicitly. Names follow Salesforce's. */

export type UnmatchedCustomerRule = 'lead' | 'contact' | 'none';
export type ChannelStatus = 'active' | 'needs_credentials' | 'disabled';

export interface Channel {
  id: string;
  phoneNumberId: string;
  wabaId: string | null;
  displayPhoneNumber: string | null;
  verifiedName: string | null;
  name: string;
  qualityRating: string | null;
  messagingLimitTier: string | null;
  throughputMps: number;
  unmatchedCustomerRule: UnmatchedCustomerRule;
  reopenWindowMinutes: number;
  createCase: boolean;
  status: ChannelStatus;
  accountStatus: string | null;
  /** unique business-initiated recipients allowed per rolling 24 h (Meta's messaging limit); null = unlimited */
  messagingLimit: number | null;
  /** numbers also used in the WhatsApp Business app send at most 20 messages/s */
  sharedWithBusinessApp: boolean;
  /** whether a Graph token was set for this channel through the API (the token itself never leaves storage) */
  hasOwnAccessToken: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export type LinkStatus = 'linked' | 'unlinked' | 'ambiguous';
export interface CrmRef {
  type: 'Contact' | 'Lead';
  id: string;
}

export interface MessagingEndUser {
  id: string;
  channelId: string;
  waId: string;
  userId: string | null;
  parentUserId: string | null;
  profileName: string | null;
  contactId: string | null;
  leadId: string | null;
  linkStatus: LinkStatus;
  linkCandidates: CrmRef[];
  lastInboundAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type SessionStatus = 'New' | 'Waiting' | 'Active' | 'Inactive' | 'Ended';

export interface MessagingSession {
  id: string;
  channelId: string;
  endUserId: string;
  caseId: string | null;
  status: SessionStatus;
  origin: string;
  queueId: string | null;
  ownerId: string | null;
  startedAt: Date;
  endedAt: Date | null;
  lastInboundAt: Date | null;
  lastMessageAt: Date;
  windowEndsAt: Date | null;
  reopenedCount: number;
}
