import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBlobStore } from '../src/storage/blob-store.ts';
import { upsertChannel } from '../src/storage/repositories/channels.ts';
import { startFakeGraphMediaServer, type FakeGraphMediaServer } from './fakes/graph-media-server.ts';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.ts';
import { CHANNEL, messagesDelivery, startTestServer, type TestServer } from './support/server.ts';
import path from 'node:path';
import os from 'node:os';
import fs from 'node:fs';

function imageDelivery(wamid: string, mediaId: string, from = '447700900123') {
  return messagesDelivery({
    contacts: [{ profile: { name: 'Test Customer' }, wa_id: from }],
    messages: [
      {
        from,
        id: wamid,
        timestamp: String(Math.floor(Date.now() / 1000)),
        type: 'image',
        image: { id: mediaId, mime_type: 'image/jpeg', sha256: 'ignored-by-test', caption: 'my receipt' },
      },
    ],
  });
}

/** Inbound media goes Graph API → blob store in a job; expired media is shown as such, not retried. */
describe.each(testDialects())('inbound media on %s', (dialect) => {
  let t: TestDatabase;
  let graph: FakeGraphMediaServer;
  let server: TestServer;
  let dataDir: string;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    graph = await startFakeGraphMediaServer();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-media-'));
    server = await startTestServer(t, {
      env: {
        WHATSAPP_GRAPH_URL: graph.url,
        WHATSAPP_ACCESS_TOKEN: graph.token,
        // SQLite keeps DATA_DIR from the test database; PostgreSQL needs one for the blobs.
        ...(dialect === 'postgres' && { DATA_DIR: dataDir }),
      },
    });
    await upsertChannel(server.runtime.handle.db, CHANNEL, new Date());
  });
  afterAll(async () => {
    await server.stop();
    await graph.close();
    await t.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const mediaRowFor = async (wamid: string) => {
    const db = server.runtime.handle.db;
    const entry = await db
      .selectFrom('conversation_entries')
      .select('id')
      .where('wamid', '=', wamid)
      .executeTakeFirstOrThrow();
    return db.selectFrom('media').selectAll().where('entry_id', '=', entry.id).executeTakeFirstOrThrow();
  };

  it('downloads an image with the bearer token, verifies it and stores it in the blob store', async () => {
    const bytes = Buffer.from('\xff\xd8\xff\xe0 a small jpeg', 'latin1');
    graph.addMedia('9001', bytes, 'image/jpeg');
    await server.deliver(imageDelivery('wamid.media-ok', '9001'));
    await server.settled();
    const media = await mediaRowFor('wamid.media-ok');
    expect(media.status).toBe('stored');
    expect(media.file_size).toBe(bytes.length);
    expect(media.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const blobs = new FileBlobStore(path.join(server.runtime.config.dataDir, 'blobs'));
    expect(await blobs.get(media.blob_key!)).toEqual(bytes);

    const message = await server.api<{ media: { status: string; mimeType: string }; text: string }>(
      '/api/v1/messages/wamid.media-ok',
    );
    expect(message.body.media).toMatchObject({ status: 'stored', mimeType: 'image/jpeg' });
    expect(message.body.text).toBe('my receipt');
  });

  it('marks expired media as expired and does not retry it', async () => {
    graph.addMedia('9002', Buffer.from('gone'), 'image/jpeg');
    graph.expire('9002');
    await server.deliver(imageDelivery('wamid.media-expired', '9002'));
    await server.settled();
    const media = await mediaRowFor('wamid.media-expired');
    expect(media.status).toBe('expired');
    expect(media.error).toBeTruthy();
    const calls = graph.requests.filter((r) => r.path.includes('9002')).length;
    await new Promise((r) => setTimeout(r, 300));
    expect(graph.requests.filter((r) => r.path.includes('9002')).length).toBe(calls);
  });

  it('retries a Graph outage and stores the media once Graph answers again', async () => {
    graph.addMedia('9003', Buffer.from('after the outage'), 'image/jpeg');
    graph.failNext(500);
    await server.deliver(imageDelivery('wamid.media-retry', '9003'));
    await server.settled(5_000).catch(() => undefined); // the retry is scheduled with backoff
    const db = server.runtime.handle.db;
    // Pull the scheduled retry forward instead of waiting out the backoff.
    await db
      .updateTable('jobs')
      .set({ run_at: new Date(0).toISOString() })
      .where('queue', '=', 'media')
      .execute();
    await server.settled();
    expect((await mediaRowFor('wamid.media-retry')).status).toBe('stored');
  });

  it('never puts the access token in a stored error', async () => {
    const db = server.runtime.handle.db;
    const errors = await db.selectFrom('media').select('error').execute();
    for (const e of errors) expect(e.error ?? '').not.toContain(graph.token);
  });
});
