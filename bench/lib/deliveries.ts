import type autocannon from 'autocannon';
import { signBody } from '../../apps/server/src/channels/whatsapp/signature.ts';

export const BENCH_APP_SECRET = 'bench-app-secret-0123456789abcdef';
export const BENCH_CHANNEL = {
  phoneNumberId: '106540352242922',
  wabaId: '102290129340398',
  displayPhoneNumber: '15550783881',
};
/** distinct customers the deliveries come from (a first message creates end user, lead, session, case) */
export const SENDERS = 2000;

/** Per-delivery outcome of one load run: which pool entries got which response. */
export class AckLog {
  /** last HTTP status per pool index (0: no response seen) */
  readonly status: Uint16Array;
  /** responses per pool index (more than one means a body was sent twice) */
  readonly responses: Uint8Array;
  readonly byStatus = new Map<number, number>();

  constructor(size: number) {
    this.status = new Uint16Array(size);
    this.responses = new Uint8Array(size);
  }

  record(index: number, status: number): void {
    this.status[index] = status;
    if (this.responses[index]! < 255) this.responses[index]! += 1;
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }

  /** pool indexes answered with a 2xx */
  acked(): number[] {
    const out: number[] = [];
    this.status.forEach((s, i) => {
      if (s >= 200 && s < 300) out.push(i);
    });
    return out;
  }

  /** pool indexes that were answered more than once (a pool that wrapped around) */
  resent(): number {
    let n = 0;
    for (const r of this.responses) if (r > 1) n++;
    return n;
  }
}

/**
 * Pre-generated, pre-signed, distinct deliveries (each a Meta-shaped text message with its own
 * wamid `wamid.bench-<run>-<tag>-<index>`), as autocannon requests. The load generator only
 * copies bytes: nothing is serialised or signed while the clock runs.
 */
export class DeliveryPool {
  readonly requests: autocannon.Request[];
  private log: AckLog | null = null;

  constructor(
    readonly runId: string,
    readonly tag: string,
    readonly size: number,
  ) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    this.requests = Array.from({ length: size }, (_, i) => {
      const body = Buffer.from(JSON.stringify(textDelivery(this.wamid(i), i, timestamp)));
      return {
        body,
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': signBody(BENCH_APP_SECRET, body),
        },
        onResponse: (status: number) => this.log?.record(i, status),
      };
    });
  }

  wamid(index: number): string {
    return `wamid.bench-${this.runId}-${this.tag}-${index}`;
  }

  /** the pool index of a wamid of this pool, or null */
  indexOf(wamid: string | null): number | null {
    const prefix = `wamid.bench-${this.runId}-${this.tag}-`;
    if (!wamid?.startsWith(prefix)) return null;
    const index = Number(wamid.slice(prefix.length));
    return Number.isInteger(index) && index >= 0 && index < this.size ? index : null;
  }

  /** Starts recording responses into a fresh log. */
  beginRun(): AckLog {
    this.log = new AckLog(this.size);
    return this.log;
  }

  endRun(): void {
    this.log = null;
  }

  /** The contiguous share of connection `n` of `of`. */
  slice(n: number, of: number): autocannon.Request[] {
    const per = Math.floor(this.size / of);
    return this.requests.slice((n % of) * per, (n % of) * per + per);
  }
}

function textDelivery(wamid: string, i: number, timestamp: string) {
  const from = String(447_700_000_000 + (i % SENDERS));
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: BENCH_CHANNEL.wabaId,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: {
                display_phone_number: BENCH_CHANNEL.displayPhoneNumber,
                phone_number_id: BENCH_CHANNEL.phoneNumberId,
              },
              contacts: [{ profile: { name: `Bench Customer ${i % SENDERS}` }, wa_id: from }],
              messages: [
                { from, id: wamid, timestamp, type: 'text', text: { body: `benchmark message ${i}` } },
              ],
            },
          },
        ],
      },
    ],
  };
}
