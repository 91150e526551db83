import type { FastifyInstance } from 'fastify';
import type { SimulatorCore } from '../core.ts';
import { PHONE_CSS, PHONE_HTML } from './page.ts';
import { PHONE_JS } from './script.ts';

const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'";

/** The customer-phone page: plain HTML, CSS and vanilla JS, no build step. */
export function registerPhoneRoutes(app: FastifyInstance, core: SimulatorCore): void {
  const business = core.defaultBusiness();
  const html = PHONE_HTML.replace(
    '{{BUSINESS}}',
    escapeHtml(`${business.verifiedName} · +${business.displayPhoneNumber}`),
  );
  for (const path of ['/', '/phone']) {
    app.get(path, async (_req, reply) =>
      reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', CSP)
        .send(html),
    );
  }
  app.get('/phone.js', async (_req, reply) =>
    reply.header('content-type', 'text/javascript; charset=utf-8').send(PHONE_JS),
  );
  app.get('/phone.css', async (_req, reply) =>
    reply.header('content-type', 'text/css; charset=utf-8').send(PHONE_CSS),
  );
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
