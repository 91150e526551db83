import { describe, expect, it } from 'vitest';
import { GraphEndpoint } from './graph-endpoint.ts';

describe('GraphEndpoint', () => {
  it('joins the base URL and version without doubled or missing slashes', () => {
    const endpoint = new GraphEndpoint(
      { graphUrl: 'http://127.0.0.1:9/graph//', apiVersion: '/v23.0/' },
      1000,
    );
    expect(endpoint.url(['123', 'messages'])).toBe('http://127.0.0.1:9/graph/v23.0/123/messages');
  });

  it('encodes each path segment, so an id cannot reach another path', () => {
    const endpoint = new GraphEndpoint({ graphUrl: 'https://graph.facebook.com', apiVersion: 'v23.0' }, 1000);
    expect(endpoint.url(['../me', 'a b?c'])).toBe('https://graph.facebook.com/v23.0/..%2Fme/a%20b%3Fc');
  });

  it('keeps only the query parameters that are set', () => {
    const endpoint = new GraphEndpoint({ graphUrl: 'https://graph.facebook.com', apiVersion: 'v23.0' }, 1000);
    expect(endpoint.url(['waba', 'message_templates'], { name: 'order update', after: undefined })).toBe(
      'https://graph.facebook.com/v23.0/waba/message_templates?name=order+update',
    );
    expect(endpoint.url(['waba'], { after: undefined })).toBe('https://graph.facebook.com/v23.0/waba');
  });

  it("takes the client's default timeout unless one is configured", () => {
    const base = { graphUrl: 'https://graph.facebook.com', apiVersion: 'v23.0' };
    expect(new GraphEndpoint(base, 15_000).timeoutMs).toBe(15_000);
    expect(new GraphEndpoint({ ...base, timeoutMs: 250 }, 15_000).timeoutMs).toBe(250);
  });
});
