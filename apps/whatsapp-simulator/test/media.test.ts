import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, type Harness, type Loose } from './support.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness({ clock: { now: () => new Date('2026-03-01T12:00:00Z') } });
});
afterAll(() => h.close());

async function upload(
  data: Buffer,
  mime: string,
  opts: { type?: string | null; product?: string | null; name?: string } = {},
) {
  const form = new FormData();
  if (opts.product !== null) form.set('messaging_product', opts.product ?? 'whatsapp');
  if (opts.type !== null) form.set('type', opts.type ?? mime);
  form.set('file', new Blob([data], { type: mime }), opts.name ?? 'upload.bin');
  const res = await fetch(`${h.sim.url}/v23.0/${h.phoneNumberId}/media`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.sim.accessToken}` },
    body: form,
  });
  return { status: res.status, json: (await res.json()) as Loose };
}

/** A WebP header with the VP8X animation flag set, padded to `size` bytes. */
function webp(size: number, animated: boolean): Buffer {
  const b = Buffer.alloc(size);
  b.write('RIFF', 0, 'latin1');
  b.write('WEBP', 8, 'latin1');
  b.write('VP8X', 12, 'latin1');
  b[20] = animated ? 0x02 : 0;
  return b;
}

describe('media', () => {
  it('upload → GET (url, mime, sha256, size) → download with the token → DELETE', async () => {
    const data = Buffer.from('%PDF-1.4 the invoice');
    const up = await upload(data, 'application/pdf', { name: 'invoice.pdf' });
    expect(up.status).toBe(200);
    const id = String(up.json.id);
    expect(id).toMatch(/^\d+$/);

    const info = await h.graph('GET', `/v23.0/${id}`);
    expect(info.status).toBe(200);
    expect(info.json).toEqual({
      messaging_product: 'whatsapp',
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/_media\//),
      mime_type: 'application/pdf',
      sha256: createHash('sha256').update(data).digest('hex'),
      file_size: data.length,
      id,
    });
    const url = String(info.json.url);
    const noToken = await fetch(url);
    expect(noToken.status).toBe(401);
    const download = await fetch(url, { headers: { authorization: `Bearer ${h.sim.accessToken}` } });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await download.arrayBuffer()).equals(data)).toBe(true);

    const del = await h.graph('DELETE', `/v23.0/${id}`);
    expect(del).toEqual({ status: 200, json: { success: true } });
    const gone = await h.graph('GET', `/v23.0/${id}`);
    expect(gone.status).toBe(400);
    expect(gone.json.error).toMatchObject({ code: 100, error_subcode: 33 });
  });

  it('download URLs expire after five minutes on the simulator clock', async () => {
    const up = await upload(Buffer.from('png'), 'image/png');
    const info = await h.graph('GET', `/v23.0/${String(up.json.id)}`);
    h.sim.advance(5 * 60_000);
    const res = await fetch(String(info.json.url), {
      headers: { authorization: `Bearer ${h.sim.accessToken}` },
    });
    expect(res.status).toBe(404);
    const again = await h.graph('GET', `/v23.0/${String(up.json.id)}`); // a fresh URL works
    const fresh = await fetch(String(again.json.url), {
      headers: { authorization: `Bearer ${h.sim.accessToken}` },
    });
    expect(fresh.status).toBe(200);
  });

  it.each([
    ['image over 5 MB', 'image/jpeg', 5 * 1024 * 1024 + 1],
    ['audio over 16 MB', 'audio/ogg', 16 * 1024 * 1024 + 1],
    ['static sticker over 100 KB', 'image/webp', 100 * 1024 + 1],
  ])('%s → 400 / 100 File Too Large', async (_name, mime, size) => {
    const data = mime === 'image/webp' ? webp(size, false) : Buffer.alloc(size);
    const r = await upload(data, mime);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 100, message: '(#100) Invalid parameter' });
    expect(String(r.json.error?.error_data?.details)).toMatch(/^File Too Large/);
  });

  it('accepts at the limits: a 5 MB image and a 500 KB animated sticker', async () => {
    expect((await upload(Buffer.alloc(5 * 1024 * 1024), 'image/jpeg')).status).toBe(200);
    expect((await upload(webp(500 * 1024, true), 'image/webp')).status).toBe(200);
    expect((await upload(webp(500 * 1024 + 1, true), 'image/webp')).status).toBe(400);
  });

  it('refuses unsupported MIME types, a missing file and a missing messaging_product', async () => {
    const html = await upload(Buffer.from('<html>'), 'text/html');
    expect(html.status).toBe(400);
    expect(String(html.json.error?.message)).toMatch(
      /^\(#100\) Param file must be a file with one of the following types/,
    );
    const noProduct = await upload(Buffer.from('x'), 'image/png', { product: null });
    expect(noProduct.json.error?.message).toBe('(#100) The parameter messaging_product is required.');
    const res = await fetch(`${h.sim.url}/v23.0/${h.phoneNumberId}/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.sim.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messaging_product: 'whatsapp' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Loose).error?.code).toBe(100);
  });

  it("uses the `type` field over the part's own content type", async () => {
    const r = await upload(Buffer.from('ogg'), 'application/octet-stream', { type: 'audio/ogg' });
    expect(r.status).toBe(200);
    expect((await h.graph('GET', `/v23.0/${String(r.json.id)}`)).json.mime_type).toBe('audio/ogg');
  });

  it('a message with a deleted media id fails by webhook with 131053', async () => {
    const up = await upload(Buffer.from('png'), 'image/png');
    await h.graph('DELETE', `/v23.0/${String(up.json.id)}`);
    h.sim.customer('15550401001').sendText('hi');
    const r = await h.send({ to: '15550401001', type: 'image', image: { id: String(up.json.id) } });
    expect(r.status).toBe(200);
    const wamid = String(r.json.messages?.[0]?.id);
    await h.sim.idle();
    expect(h.sim.sentTo('15550401001').find((m) => m.wamid === wamid)?.errors[0]?.code).toBe(131053);
  });
});
