import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnSwitchboard, waitForExit, type ServerProcess } from '../support/process.ts';
import { TEST_ADMIN_TOKEN } from '../support/server.ts';

/**
 * The newcomer's first run: `switchboard start` with no WhatsApp credentials starts the sandbox
 * (Switchboard and the simulator wired together), and a simulated customer's message arrives as a
 * conversation. A real child process, real HTTP, real signed webhooks.
 */
describe('sandbox mode', () => {
  let dataDir: string;
  let server: ServerProcess;
  let simulatorUrl: string;
  const api = async <T>(p: string, init: RequestInit = {}) => {
    const r = await fetch(`${server.url}${p}`, {
      ...init,
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    });
    return { status: r.status, body: (await r.json()) as T };
  };
  const eventually = async <T>(probe: () => Promise<T | undefined>, what: string): Promise<T> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-sandbox-'));
    server = await spawnSwitchboard(
      {
        SANDBOX: 'auto',
        DATA_DIR: dataDir,
        SWITCHBOARD_API_TOKEN: TEST_ADMIN_TOKEN,
        SIMULATOR_PORT: String(await freePort()),
      },
      await freePort(),
    );
    const match = await eventually(
      async () => /Customer phone: (http:\/\/\S+)\/phone/.exec(server.output()) ?? undefined,
      'the banner',
    );
    simulatorUrl = match[1]!;
  }, 60_000);
  afterAll(async () => {
    server.child.kill('SIGTERM');
    await waitForExit(server.child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints where to open it and serves the customer phone page', async () => {
    expect(server.output()).toContain('SANDBOX');
    const page = await fetch(`${simulatorUrl}/phone`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
  });

  it('turns a simulated customer’s message into a conversation visible through the read API', async () => {
    const sent = await fetch(
      `${simulatorUrl}/_simulator/customers/447700900999/messages?profileName=Grace%20Hopper`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'text', text: 'Hello from the sandbox <script>alert(1)</script>' }),
      },
    );
    expect(sent.status).toBe(200);
    const { id: wamid } = (await sent.json()) as { id: string };

    const conversation = await eventually(async () => {
      const list = await api<{ data: { id: string; endUser: { waId: string; profileName: string } }[] }>(
        '/api/v1/conversations',
      );
      return list.body.data.find((c) => c.endUser.waId === '447700900999');
    }, 'the conversation');
    expect(conversation.endUser.profileName).toBe('Grace Hopper');
    const entries = await api<{ data: { wamid: string; text: string }[] }>(
      `/api/v1/conversations/${conversation.id}/entries`,
    );
    expect(entries.body.data).toEqual([
      expect.objectContaining({ wamid, text: 'Hello from the sandbox <script>alert(1)</script>' }),
    ]);
  });

  it('sends a reply through the simulated Graph API to the customer, and its statuses come back', async () => {
    const list = await api<{ data: { id: string; endUser: { waId: string } }[] }>('/api/v1/conversations');
    const conversation = list.body.data.find((c) => c.endUser.waId === '447700900999')!;
    const sent = await api<{ id: string; entryId: string }>(
      `/api/v1/conversations/${conversation.id}/messages`,
      {
        method: 'POST',
        body: JSON.stringify({ content: { type: 'text', body: 'Hello Grace, how can we help?' } }),
      },
    );
    expect(sent.status).toBe(202);
    // The customer's phone (the simulator's thread) shows the reply…
    const reply = await eventually(async () => {
      const thread = (await (
        await fetch(`${simulatorUrl}/_simulator/customers/447700900999/thread`)
      ).json()) as { items: unknown[] };
      return thread.items.find((i) => JSON.stringify(i).includes('Hello Grace, how can we help?'));
    }, 'the reply on the phone');
    expect(JSON.stringify(reply)).toContain('outbound');
    // …and Switchboard records sent → delivered → read from the signed status webhooks.
    const entry = await eventually(async () => {
      const entries = await api<{ data: { id: string; status: string; wamid: string | null }[] }>(
        `/api/v1/conversations/${conversation.id}/entries`,
      );
      return entries.body.data.find((e) => e.id === sent.body.entryId && e.status === 'read');
    }, 'the read status');
    const message = await api<{ statusHistory: { status: string }[] }>(
      `/api/v1/messages/${encodeURIComponent(entry.wamid!)}`,
    );
    expect(message.body.statusHistory.map((h) => h.status)).toEqual(
      expect.arrayContaining(['sent', 'delivered', 'read']),
    );
  });
});
