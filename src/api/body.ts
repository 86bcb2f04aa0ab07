import zlib from 'node:zlib';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { ConfigError, RequestError } from '../config/errors.js';
import { checkedDocument, parseYaml } from '../intake/yaml.js';
import { httpError } from './errors.js';

/*
 * Reading a submitted document: the size is capped before anything is buffered past the limit,
 * a gzip or deflate Content-Encoding is undone within the same limit, the bytes must be UTF-8, and
 * the Content-Type says how to parse them. What cannot be read is a 400 naming the line (YAML) or
 * position (JSON); what is read but wrong is for the loader (422).
 */

export const BODY_FILE = 'request body';
export const JSON_TYPE = 'application/json';
export const YAML_TYPES = ['application/yaml', 'text/yaml', 'application/x-yaml'] as const;
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export type DocumentVariables = { Variables: { document: unknown } };

export function limitBody(maxSize: number): MiddlewareHandler {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new HTTPException(413, { cause: new ConfigError(BODY_FILE, '', `is larger than the limit of ${maxSize.toLocaleString('en-US')} bytes`) });
    },
  });
}

/**
 * Parses the body by its Content-Encoding and Content-Type and leaves the document in
 * `c.get('document')`. `maxSize` is the body limit (limitBody, before this), which bounds the
 * decompressed size too.
 */
export function parseDocument(maxSize: number): MiddlewareHandler<DocumentVariables> {
  return async (c, next) => {
    const mediaType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const yaml = (YAML_TYPES as readonly string[]).includes(mediaType);
    if (!yaml && mediaType !== JSON_TYPE) {
      const accepted = [JSON_TYPE, ...YAML_TYPES].map((t) => `"${t}"`).join(', ');
      throw httpError(415, new ConfigError(BODY_FILE, 'Content-Type', `"${mediaType}" is not one of ${accepted}`));
    }
    const bytes = decodeContent(Buffer.from(await c.req.arrayBuffer()), c.req.header('content-encoding'), maxSize);
    if (bytes.length === 0) throw new RequestError(BODY_FILE, '', 'is empty; send a document or { "path": "…" }');
    try {
      c.set('document', yaml ? parseYaml(bytes, BODY_FILE) : parseJson(bytes));
    } catch (error) {
      if (error instanceof ConfigError) throw RequestError.from(error);
      throw error;
    }
    await next();
  };
}

/** The content codings a body may come in (RFC 9110 §8.4.1; `x-gzip` is gzip), each undone by zlib. */
const DECODERS: Record<string, (bytes: Buffer, options: zlib.ZlibOptions) => Buffer> = {
  gzip: zlib.gunzipSync,
  'x-gzip': zlib.gunzipSync,
  deflate: zlib.inflateSync,
};
export const CONTENT_CODINGS = ['gzip', 'deflate'] as const;

/**
 * The body with its Content-Encoding undone. A compressed body passed limitBody by its compressed
 * size; decompressing stops at `maxSize` bytes (zlib's maxOutputLength), so a small body that inflates
 * to gigabytes (a zip bomb) is a 413 after at most the limit's worth of memory. Other codings (br,
 * zstd, or two stacked) are a 415 naming the header.
 */
function decodeContent(bytes: Buffer, header: string | undefined, maxSize: number): Buffer {
  const codings = (header ?? '').split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return bytes;
  const decode = codings.length === 1 && Object.hasOwn(DECODERS, codings[0]!) ? DECODERS[codings[0]!]! : null;
  if (decode === null) {
    const supported = CONTENT_CODINGS.map((c) => `"${c}"`).join(', ');
    throw httpError(415, new ConfigError(BODY_FILE, 'Content-Encoding', `"${header}" is not supported; send the body uncompressed or as one of ${supported}`));
  }
  try {
    return decode(bytes, { maxOutputLength: maxSize });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw httpError(413, new ConfigError(BODY_FILE, '', `decompresses (Content-Encoding "${header}") to more than the limit of ${maxSize.toLocaleString('en-US')} bytes`));
    }
    if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') {
      throw new RequestError(BODY_FILE, 'Content-Encoding', `"${header}" does not match the body: it is not valid ${codings[0]} data (${(error as Error).message})`);
    }
    throw error;
  }
}

function parseJson(bytes: Buffer): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigError(BODY_FILE, '', 'is not valid UTF-8 text');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    // V8's message names the position ("… in JSON at position 12 (line 2 column 3)").
    throw new ConfigError(BODY_FILE, '', `is not valid JSON: ${(error as Error).message}`);
  }
  return checkedDocument(doc, BODY_FILE);
}
