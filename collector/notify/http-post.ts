import { ChannelError } from './channel.js';

/** Network errors raised before a byte of the request could reach the receiver: resending is always safe. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * POSTs JSON and answers the response body. Network errors, time-outs, 429 and 5xx are retryable;
 * other 4xx mean the channel is misconfigured and trying again will not help. A time-out or a
 * connection lost mid-request is marked `mayHaveArrived`: the receiver may have acted on it.
 */
export async function postJson(
  url: string,
  body: unknown,
  options: { timeoutMs: number; headers?: Record<string, string> },
): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...options.headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const code = networkCodeOf(error);
    const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : code;
    throw new ChannelError(`POST ${redact(url)}: ${reason}`, true, {
      cause: error,
      mayHaveArrived: !NOT_SENT_CODES.has(code),
    });
  }
  let text: string;
  try {
    text = await res.text();
  } catch (error) {
    throw new ChannelError(`POST ${redact(url)}: answer cut off (${networkCodeOf(error)})`, true, {
      cause: error,
      mayHaveArrived: true,
    });
  }
  if (!res.ok) {
    const retryAfterS = Number(res.headers.get('retry-after'));
    throw new ChannelError(
      `POST ${redact(url)}: HTTP ${res.status} ${text.slice(0, 200)}`.trim(),
      res.status === 429 || res.status >= 500,
      res.status === 429 && retryAfterS > 0 ? { retryAfterMs: retryAfterS * 1000 } : {},
    );
  }
  return text;
}

function networkCodeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** Robot URLs carry their key in the query: never in logs or health. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(invalid url)';
  }
}
