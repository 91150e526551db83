import http from 'node:http';

/**
 * A real HTTP proxy in front of the Graph API look-alike that can lose answers: the request reaches
 * the simulator and is done there, then the connection to the client is cut before any byte of the
 * answer. It is the "crash between the Graph call and the commit" seen from the network.
 */
export interface LossyProxy {
  url: string;
  /** the next `count` requests whose path matches are forwarded, then their answer is lost */
  loseAnswers(count: number, pathPattern: RegExp): void;
  readonly lost: number;
  close(): Promise<void>;
}

export async function startLossyProxy(target: string): Promise<LossyProxy> {
  let toLose = 0;
  let pattern = /$^/;
  let lost = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const lose = toLose > 0 && pattern.test(req.url ?? '');
      if (lose) toLose -= 1;
      const upstream = http.request(
        `${target}${req.url}`,
        { method: req.method, headers: { ...req.headers, host: new URL(target).host } },
        (answer) => {
          const body: Buffer[] = [];
          answer.on('data', (c: Buffer) => body.push(c));
          answer.on('end', () => {
            if (lose) {
              lost += 1;
              req.socket.destroy();
              return;
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(Buffer.concat(body));
          });
        },
      );
      upstream.on('error', () => req.socket.destroy());
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    loseAnswers: (count, p) => {
      toLose = count;
      pattern = p;
    },
    get lost() {
      return lost;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
