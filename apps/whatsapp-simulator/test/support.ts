import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSimulator, type SimulatorOptions, type WhatsAppSimulator } from '../src/index.ts';

/** JSON as a test reads it: any key, possibly missing (no `any`, still terse). */
export interface Loose {
  readonly [key: string]: Loose | undefined;
}

export interface Delivery {
  raw: Buffer;
  signature: string | undefined;
  body: {
    object: string;
    entry: { id: string; time?: number; changes: { field: string; value: Record<string, unknown> }[] }[];
  };
}

/** A small webhook receiver: records every POST, answers with the status the test chooses. */
export interface Receiver {
  url: string;
  deliveries: Delivery[];
  /** status to answer for the n-th POST (0-based); 200 unless set */
  respond: (n: number) => number;
  waitFor(predicate: (deliveries: Delivery[]) => boolean, what?: string): Promise<Delivery[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const deliveries: Delivery[] = [];
  const waiters: { predicate: (d: Delivery[]) => boolean; resolve: (d: Delivery[]) => void }[] = [];
  let n = 0;
  const receiver: Receiver = {
    url: '',
    deliveries,
    respond: () => 200,
    waitFor(predicate, what = 'webhooks') {
      if (predicate(deliveries)) return Promise.resolve(deliveries);
      return new Promise((resolve, reject) => {
        const entry = { predicate, resolve };
        waiters.push(entry);
        // a safety net so a broken simulator fails the test instead of hanging it
        setTimeout(
          () => reject(new Error(`timed out waiting for ${what}; got ${deliveries.length} deliveries`)),
          5_000,
        ).unref();
      });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const status = receiver.respond(n++);
      deliveries.push({
        raw,
        signature: req.headers['x-hub-signature-256'] as string | undefined,
        body: JSON.parse(raw.toString()),
      });
      res.writeHead(status).end();
      for (const w of [...waiters]) {
        if (w.predicate(deliveries)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(deliveries);
        }
      }
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/whatsapp`;
  return receiver;
}

/** Fast defaults for tests: quick statuses and retries, generous rate limits. */
export const FAST: SimulatorOptions = {
  statuses: { delaysMs: { sent: 0, delivered: 5, read: 10 } },
  webhooks: { retryDelaysMs: [0, 10, 20] },
  templateReview: { outcome: 'APPROVED', delayMs: 10 },
  throughputMps: 1_000,
  pairRate: { burst: 1_000, intervalMs: 1 },
};

export interface Harness {
  sim: WhatsAppSimulator;
  receiver: Receiver;
  phoneNumberId: string;
  wabaId: string;
  /** a Graph API call with the simulator's token (unless `token` is given) */
  graph(
    method: string,
    path: string,
    body?: unknown,
    token?: string | null,
  ): Promise<{ status: number; json: Loose }>;
  send(body: Record<string, unknown>): Promise<{ status: number; json: Loose }>;
  /** a call to the simulator's own admin API (/_simulator), which takes no token */
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: Loose }>;
  close(): Promise<void>;
}

export async function harness(options: SimulatorOptions = {}): Promise<Harness> {
  const receiver = await startReceiver();
  const sim = await startSimulator({ ...FAST, ...options, webhookUrl: receiver.url });
  const business = sim.businesses[0] as { phoneNumberId: string; wabaId: string };
  const graph: Harness['graph'] = async (method, path, body, token) => {
    const headers: Record<string, string> = {};
    if (token !== null) headers['authorization'] = `Bearer ${token ?? sim.accessToken}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${sim.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Loose };
  };
  return {
    sim,
    receiver,
    phoneNumberId: business.phoneNumberId,
    wabaId: business.wabaId,
    graph,
    send: (body) =>
      graph('POST', `/v23.0/${business.phoneNumberId}/messages`, { messaging_product: 'whatsapp', ...body }),
    admin: (method, path, body) => graph(method, `/_simulator${path}`, body, null),
    close: async () => {
      await sim.close();
      await receiver.close();
    },
  };
}

export function statuses(deliveries: Delivery[]): Loose[] {
  return deliveries.flatMap((d) =>
    d.body.entry.flatMap((e) => e.changes.flatMap((c) => (c.value['statuses'] as Loose[] | undefined) ?? [])),
  );
}

export function messages(deliveries: Delivery[]): Loose[] {
  return deliveries.flatMap((d) =>
    d.body.entry.flatMap((e) => e.changes.flatMap((c) => (c.value['messages'] as Loose[] | undefined) ?? [])),
  );
}

export function statusesOf(deliveries: Delivery[], wamid: string): Loose[] {
  return statuses(deliveries).filter((s) => String(s['id']) === wamid);
}

export function changes(deliveries: Delivery[], field: string): Loose[] {
  return deliveries.flatMap((d) =>
    d.body.entry.flatMap((e) => e.changes.filter((c) => c.field === field).map((c) => c.value as Loose)),
  );
}
