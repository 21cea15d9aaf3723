import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Local stand-ins for the WeCom and DingTalk group robots that refuse what the real services
 * refuse, as their documentation describes it, so a test passes only on a request they would
 * take: WeCom — the key, markdown `content` of at most 4,096 bytes (40058), 20 messages in any
 * minute (45009); DingTalk — the access token, the 加签 signature (HMAC-SHA256 of
 * `timestamp\nsecret`, Base64) with a timestamp within an hour of the service's clock (310000),
 * the message size (460101), 20 messages a minute and then everything refused for 10 minutes
 * (130101). Rates are counted on `now` (the test's clock); the signature's window on the wall clock.
 */
export interface RobotReceiverOptions {
  now: () => number;
  /** Delays the answer (a slow service). */
  answerDelayMs?: () => number;
}

export interface RobotRequest {
  atMs: number;
  body: Record<string, unknown>;
}

interface Reply {
  errcode: number;
  errmsg: string;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks);
  // Refuse what is not valid UTF-8, as a JSON parser in strict mode would.
  const decoded = new TextDecoder('utf-8', { fatal: true }).decode(text);
  return JSON.parse(decoded);
}

async function startRobot(
  path: string,
  check: (url: URL, body: Record<string, unknown>, atMs: number) => Reply,
  options: RobotReceiverOptions,
) {
  const accepted: RobotRequest[] = [];
  const refused: { atMs: number; reply: Reply }[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://robot');
      let reply: Reply;
      let body: Record<string, unknown> = {};
      const atMs = options.now();
      try {
        body = (await readJson(req)) as Record<string, unknown>;
        reply = url.pathname === path ? check(url, body, atMs) : { errcode: 404, errmsg: 'no such path' };
      } catch {
        reply = { errcode: 40001, errmsg: 'invalid json' };
      }
      if (reply.errcode === 0) accepted.push({ atMs, body });
      else refused.push({ atMs, reply });
      const delay = options.answerDelayMs?.() ?? 0;
      const send = () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
      if (delay > 0) setTimeout(send, delay);
      else send();
    })();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    accepted,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Requests within the last minute (exclusive of the one a minute ago), as a sliding window counts them. */
const inLastMinute = (times: readonly number[], atMs: number) => times.filter((t) => t > atMs - 60_000).length;

export async function startStrictWecom(key: string, options: RobotReceiverOptions) {
  const times: number[] = [];
  return startRobot(
    '/cgi-bin/webhook/send',
    (url, body, atMs) => {
      if (url.searchParams.get('key') !== key) return { errcode: 93000, errmsg: 'invalid webhook url' };
      times.push(atMs);
      if (inLastMinute(times, atMs) > 20) return { errcode: 45009, errmsg: 'api freq out of limit' };
      const markdown = body.markdown as { content?: unknown } | undefined;
      if (body.msgtype !== 'markdown' || typeof markdown?.content !== 'string')
        return { errcode: 40008, errmsg: 'invalid message type' };
      if (Buffer.byteLength(markdown.content, 'utf8') > 4_096) {
        return { errcode: 40058, errmsg: 'markdown.content exceed max length 4096' };
      }
      return { errcode: 0, errmsg: 'ok' };
    },
    options,
  );
}

export async function startStrictDingtalk(token: string, secret: string, options: RobotReceiverOptions) {
  const times: number[] = [];
  let throttledUntilMs = 0;
  return startRobot(
    '/robot/send',
    (url, body, atMs) => {
      if (url.searchParams.get('access_token') !== token) return { errcode: 300001, errmsg: 'token is not exist' };
      const timestamp = Number(url.searchParams.get('timestamp'));
      if (!Number.isFinite(timestamp) || Math.abs(Date.now() - timestamp) > 3_600_000) {
        return { errcode: 310000, errmsg: 'invalid timestamp' };
      }
      const sign = createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');
      if (url.searchParams.get('sign') !== sign) return { errcode: 310000, errmsg: 'sign not match' };
      if (atMs < throttledUntilMs) return { errcode: 130101, errmsg: 'send too fast, exceed 20 times per minute' };
      times.push(atMs);
      if (inLastMinute(times, atMs) > 20) {
        throttledUntilMs = atMs + 10 * 60_000;
        return { errcode: 130101, errmsg: 'send too fast, exceed 20 times per minute' };
      }
      const markdown = body.markdown as { title?: unknown; text?: unknown } | undefined;
      if (body.msgtype !== 'markdown' || typeof markdown?.title !== 'string' || typeof markdown.text !== 'string') {
        return { errcode: 40035, errmsg: 'missing parameter' };
      }
      if (Buffer.byteLength(JSON.stringify(body), 'utf8') > 20_000) return { errcode: 460101, errmsg: 'message too long' };
      return { errcode: 0, errmsg: 'ok' };
    },
    options,
  );
}
