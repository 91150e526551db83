/**
 * In-process fan-out of applied changes. Publishers call it after their transaction commits, so a
 * subscriber (the console's SSE stream, later LISTEN/NOTIFY across nodes) never sees a change that
 * was rolled back.
 */
export type DomainEvent =
  | { type: 'entry.created'; sessionId: string; entryId: string; channelId: string; wamid: string | null }
  | { type: 'entry.updated'; sessionId: string; entryId: string; wamid: string | null; status: string }
  | { type: 'session.opened'; sessionId: string; channelId: string; endUserId: string; caseId: string | null }
  | { type: 'session.updated'; sessionId: string; status: string }
  | { type: 'end_user.updated'; endUserId: string; linkStatus: string }
  | { type: 'status.recorded'; wamid: string; status: string }
  | { type: 'media.updated'; entryId: string; status: string }
  | { type: 'channel.updated'; channelId: string }
  | { type: 'template.updated'; wabaId: string; name: string | null; status: string }
  | { type: 'webhook.unrouted'; webhookEventId: number; phoneNumberId: string };

export type DomainEventHandler = (event: DomainEvent) => void;

export class EventBus {
  private readonly handlers = new Set<DomainEventHandler>();

  subscribe(handler: DomainEventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  publish(events: readonly DomainEvent[]): void {
    for (const event of events) {
      for (const handler of this.handlers) {
        try {
          handler(event);
        } catch {
          // A failing subscriber must not break the pipeline or the other subscribers.
        }
      }
    }
  }
}
