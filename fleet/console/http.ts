/** JSON over node:http, shared by the controller's API and the console: answers and bounded request bodies. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConsoleError } from './errors.ts';

/** A JSON request body (a login, an abort reason) is at most this many bytes unless the caller says otherwise. */
export const MAX_JSON_BODY = 4096;

export function replyJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string | string[]>> = {}): void {
  if (res.headersSent) return void res.destroy();
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** The whole body, refused (BAD_INPUT at the JSON limit, TOO_LARGE above it) as soon as it passes `max`. */
export async function readBytes(req: IncomingMessage, max: number): Promise<Buffer> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new ConsoleError(max <= MAX_JSON_BODY ? 'BAD_INPUT' : 'TOO_LARGE', `a request body is at most ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A JSON object body; an empty body is `{}`. */
export async function readJsonObject(req: IncomingMessage, max = MAX_JSON_BODY): Promise<Record<string, unknown>> {
  const bytes = await readBytes(req, max);
  if (bytes.length === 0) return {};
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new ConsoleError('BAD_INPUT', 'the request body must be a JSON object');
}
