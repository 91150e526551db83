/**
 * The benchmark's baseline: a bare Fastify 5 server whose POST /webhooks/whatsapp reads the raw
 * body (the same buffer content-type parser Switchboard uses) and answers 200 — no signature
 * check, no JSON parse, no storage. Run as a child process by bench/ingest.ts (PORT in the env).
 */
import Fastify from 'fastify';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error('PORT must be set');

const app = Fastify({ logger: false, bodyLimit: 3 * 1024 * 1024 });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
app.get('/healthz', async () => ({ status: 'ok' }));
app.post('/webhooks/whatsapp', async (_request, reply) =>
  reply.code(200).type('text/plain').send('EVENT_RECEIVED'),
);

const shutdown = () => {
  void app.close().then(() => process.exit(0));
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
// The parent talks to us over IPC only to be able to die with us: if it goes away, so do we.
process.once('disconnect', shutdown);

await app.listen({ port, host: '127.0.0.1' });
