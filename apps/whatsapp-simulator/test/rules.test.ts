import { afterEach, describe, expect, it } from 'vitest';
import { harness, statusesOf, type Harness } from './support.ts';

const DAY = 24 * 60 * 60_000;
/** only advance() moves this clock, so rate-limit refills cannot happen behind a slow test's back */
const frozenClock = () => {
  const at = new Date('2026-01-01T09:00:00Z');
  return { now: () => at };
};
let h: Harness;
afterEach(() => h?.close());

const text = (to: string, body = 'hi') => ({ to, type: 'text', text: { body } });
const template = (to: string, name: string, components: unknown[] = [], code = 'en_US') => ({
  to,
  type: 'template',
  template: { name, language: { code }, components },
});

async function failedWith(h: Harness, wamid: string): Promise<number | undefined> {
  const d = await h.receiver.waitFor(
    (ds) => statusesOf(ds, wamid).some((s) => String(s.status) === 'failed'),
    `failed status of ${wamid}`,
  );
  const failed = statusesOf(d, wamid).find((s) => String(s.status) === 'failed');
  const code = failed?.errors?.[0]?.code;
  return typeof code === 'number' ? code : undefined;
}

describe('the 24-hour customer service window', () => {
  it('a free-form message to a customer who never wrote fails asynchronously with 131047', async () => {
    h = await harness();
    const r = await h.send(text('15550102001'));
    expect(r.status).toBe(200); // Meta accepts it, then fails it by webhook
    const wamid = String(r.json.messages?.[0]?.id);
    expect(await failedWith(h, wamid)).toBe(131047);
    const failed = statusesOf(h.receiver.deliveries, wamid)[0];
    expect(failed?.errors?.[0]).toMatchObject({
      code: 131047,
      title: 'Re-engagement message',
      error_data: { details: expect.stringMatching(/24 hours/) },
    });
    expect(failed?.pricing).toBeUndefined();
    expect(h.sim.counters().sends.failedByCode['131047']).toBe(1);
  });

  it('opens when the customer writes and closes 24 h later on the simulator clock', async () => {
    // a frozen base clock: only advance() moves time, so "24 h minus 1 ms" is exact
    const frozen = new Date('2026-01-01T09:00:00Z');
    h = await harness({ clock: { now: () => frozen } });
    h.sim.customer('15550102002', 'Lin').sendText('hello');
    const inside = await h.send(text('15550102002'));
    const wamid = String(inside.json.messages?.[0]?.id);
    const d = await h.receiver.waitFor(
      (ds) => statusesOf(ds, wamid).some((s) => String(s.status) === 'read'),
      'read',
    );
    const seen = statusesOf(d, wamid);
    expect(seen.map((s) => s.status).sort()).toEqual(['delivered', 'read', 'sent']);
    for (const s of seen.filter((x) => String(x.status) !== 'read')) {
      expect(s.pricing).toEqual({
        billable: false,
        pricing_model: 'PMP',
        category: 'service',
        type: 'free_customer_service',
      });
      expect(s.conversation).toBeUndefined();
    }
    h.sim.advance(DAY - 1);
    const stillOpen = await h.send(text('15550102002'));
    h.sim.advance(1);
    const closed = await h.send(text('15550102002'));
    expect(await failedWith(h, String(closed.json.messages?.[0]?.id))).toBe(131047);
    await h.sim.idle();
    expect(
      statusesOf(h.receiver.deliveries, String(stillOpen.json.messages?.[0]?.id)).some(
        (s) => String(s.status) === 'failed',
      ),
    ).toBe(false);
  });

  it('templates go out of the window, billed by category', async () => {
    h = await harness();
    const r = await h.send(template('15550102003', 'hello_world'));
    const wamid = String(r.json.messages?.[0]?.id);
    const d = await h.receiver.waitFor(
      (ds) => statusesOf(ds, wamid).some((s) => String(s.status) === 'delivered'),
      'delivered',
    );
    expect(statusesOf(d, wamid).find((s) => String(s.status) === 'delivered')?.pricing).toEqual({
      billable: true,
      pricing_model: 'PMP',
      category: 'utility',
      type: 'regular',
    });
  });

  it('a recipient who is not on WhatsApp fails with 131026', async () => {
    h = await harness({ notOnWhatsApp: ['15550102004'] });
    const r = await h.send(template('15550102004', 'hello_world'));
    expect(r.status).toBe(200);
    expect(await failedWith(h, String(r.json.messages?.[0]?.id))).toBe(131026);
  });
});

describe('template rules', () => {
  const seeds = {
    templates: [
      {
        name: 'two_vars',
        language: 'en_US',
        category: 'UTILITY' as const,
        components: [{ type: 'BODY' as const, text: 'Hi {{1}}, {{2}}' }],
      },
      {
        name: 'with_image',
        language: 'en_US',
        category: 'MARKETING' as const,
        components: [
          { type: 'HEADER' as const, format: 'IMAGE' as const },
          { type: 'BODY' as const, text: 'Sale!' },
        ],
      },
      {
        name: 'paused_one',
        language: 'en_US',
        category: 'MARKETING' as const,
        status: 'PAUSED' as const,
        components: [{ type: 'BODY' as const, text: 'x' }],
      },
      {
        name: 'disabled_one',
        language: 'en_US',
        category: 'MARKETING' as const,
        status: 'DISABLED' as const,
        components: [{ type: 'BODY' as const, text: 'x' }],
      },
      {
        name: 'pending_one',
        language: 'en_US',
        category: 'MARKETING' as const,
        status: 'PENDING' as const,
        components: [{ type: 'BODY' as const, text: 'x' }],
      },
      {
        name: 'named',
        language: 'en_US',
        category: 'UTILITY' as const,
        parameter_format: 'NAMED' as const,
        components: [{ type: 'BODY' as const, text: 'Hi {{first_name}}' }],
      },
    ],
  };
  const to = '15550103001';
  const body = (...texts: string[]) => [
    { type: 'body', parameters: texts.map((t) => ({ type: 'text', text: t })) },
  ];

  it.each([
    ['missing template', 404, 132001, template(to, 'nope')],
    ['wrong language', 404, 132001, template(to, 'two_vars', body('a', 'b'), 'pt_BR')],
    ['pending template', 404, 132001, template(to, 'pending_one')],
    ['too few parameters', 400, 132000, template(to, 'two_vars', body('a'))],
    ['too many parameters', 400, 132000, template(to, 'two_vars', body('a', 'b', 'c'))],
    [
      'header of the wrong format',
      400,
      132012,
      template(to, 'with_image', [{ type: 'header', parameters: [{ type: 'text', text: 'x' }] }]),
    ],
    ['named parameter missing its name', 400, 132012, template(to, 'named', body('Ada'))],
    ['paused template', 400, 132015, template(to, 'paused_one')],
    ['disabled template', 400, 132016, template(to, 'disabled_one')],
  ])('%s → %i / %i', async (_name, status, code, request) => {
    h = await harness(seeds);
    const r = await h.send(request);
    expect(r.status).toBe(status);
    expect(r.json.error).toMatchObject({
      code,
      type: 'OAuthException',
      error_data: { messaging_product: 'whatsapp' },
    });
    expect(String(r.json.error?.message)).toMatch(new RegExp(`^\\(#${code}\\)`));
  });

  it('the details name the component and both counts', async () => {
    h = await harness(seeds);
    const r = await h.send(template(to, 'two_vars', body('a')));
    expect(r.json.error?.error_data?.details).toBe(
      'body: number of localizable_params (1) does not match the expected number of params (2)',
    );
  });

  it('a correct media header goes through', async () => {
    h = await harness(seeds);
    const r = await h.send(
      template(to, 'with_image', [
        { type: 'header', parameters: [{ type: 'image', image: { link: 'https://e.x/i.jpg' } }] },
      ]),
    );
    expect(r.status).toBe(200);
  });
});

describe('throughput, pair rate and messaging tier', () => {
  it('per-number throughput exceeded → 400 / 130429', async () => {
    h = await harness({ throughputMps: 2, clock: frozenClock() });
    h.sim.customer('15550104001').sendText('hi');
    h.sim.customer('15550104002').sendText('hi');
    h.sim.customer('15550104003').sendText('hi');
    expect((await h.send(text('15550104001'))).status).toBe(200);
    expect((await h.send(text('15550104002'))).status).toBe(200);
    const third = await h.send(text('15550104003'));
    expect(third.status).toBe(400);
    expect(third.json.error).toMatchObject({ code: 130429, message: '(#130429) Rate limit hit' });
    h.sim.advance(1_000);
    expect((await h.send(text('15550104003'))).status).toBe(200);
  });

  it('same recipient too fast → 400 / 131056, fine again once the pair interval passes', async () => {
    h = await harness({ pairRate: { burst: 1, intervalMs: 6_000 }, clock: frozenClock() });
    h.sim.customer('15550104010').sendText('hi');
    h.sim.customer('15550104011').sendText('hi');
    expect((await h.send(text('15550104010'))).status).toBe(200);
    const again = await h.send(text('15550104010'));
    expect(again.status).toBe(400);
    expect(again.json.error?.code).toBe(131056);
    expect(String(again.json.error?.message)).toBe(
      '(#131056) (Business Account, Consumer Account) pair rate limit hit',
    );
    expect((await h.send(text('15550104011'))).status).toBe(200); // another customer is fine
    h.sim.advance(6_000);
    expect((await h.send(text('15550104010'))).status).toBe(200);
  });

  it('reaching more unique customers than the tier allows fails with 131048; replies in the window do not count', async () => {
    h = await harness({
      tier: 250,
      throughputMps: 10_000,
      statuses: { delaysMs: { sent: 0, delivered: 0, read: 0 }, autoRead: false },
    });
    for (let i = 0; i < 250; i++) {
      expect((await h.send(template(`1555020${String(i).padStart(4, '0')}`, 'hello_world'))).status).toBe(
        200,
      );
    }
    h.sim.customer('15550209999').sendText('hi'); // in a service window: not business-initiated
    expect((await h.send(template('15550209999', 'hello_world'))).status).toBe(200);
    const again = await h.send(template('15550200000', 'hello_world')); // already reached today
    const over = await h.send(template('15550208888', 'hello_world'));
    expect(over.status).toBe(200);
    expect(await failedWith(h, String(over.json.messages?.[0]?.id))).toBe(131048);
    await h.sim.idle();
    expect(
      statusesOf(h.receiver.deliveries, String(again.json.messages?.[0]?.id)).some(
        (s) => String(s.status) === 'failed',
      ),
    ).toBe(false);
    h.sim.advance(DAY);
    const tomorrow = await h.send(template('15550208888', 'hello_world'));
    await h.sim.idle();
    expect(
      statusesOf(h.receiver.deliveries, String(tomorrow.json.messages?.[0]?.id))
        .map((s) => String(s.status))
        .sort(),
    ).toEqual(['delivered', 'sent']);
  });
});
