import { ChannelError } from './channel.js';

/**
 * POSTs JSON and answers the response body. Network errors, time-outs, 429 and 5xx are retryable;
 * other 4xx mean the channel is misconfigured and trying again will not help.
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
    const reason =
      (error as Error).name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : describeNetworkError(error);
    throw new ChannelError(`POST ${redact(url)}: ${reason}`, true, { cause: error });
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) {
    throw new ChannelError(
      `POST ${redact(url)}: HTTP ${res.status} ${text.slice(0, 200)}`.trim(),
      res.status === 429 || res.status >= 500,
    );
  }
  return text;
}

function describeNetworkError(error: unknown): string {
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
