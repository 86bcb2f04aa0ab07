import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { ConfigError } from '../config/errors.js';
import { checkedDocument, parseYaml } from '../config/yaml.js';
import { httpError } from './errors.js';

/*
 * Reading a submitted document: the size is capped before anything is buffered past the limit,
 * the bytes must be UTF-8, and the Content-Type says how to parse them. What cannot be read is a
 * 400 naming the line (YAML) or position (JSON); what is read but wrong is for the loader (422).
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

/** Parses the body by its Content-Type and leaves the document in `c.get('document')`. */
export const parseDocument: MiddlewareHandler<DocumentVariables> = async (c, next) => {
  const mediaType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const yaml = (YAML_TYPES as readonly string[]).includes(mediaType);
  if (!yaml && mediaType !== JSON_TYPE) {
    const accepted = [JSON_TYPE, ...YAML_TYPES].map((t) => `"${t}"`).join(', ');
    throw httpError(415, new ConfigError(BODY_FILE, 'Content-Type', `"${mediaType}" is not one of ${accepted}`));
  }
  const bytes = Buffer.from(await c.req.arrayBuffer());
  if (bytes.length === 0) throw httpError(400, new ConfigError(BODY_FILE, '', 'is empty; send a document or { "path": "…" }'));
  try {
    c.set('document', yaml ? parseYaml(bytes, BODY_FILE) : parseJson(bytes));
  } catch (error) {
    if (error instanceof ConfigError) throw httpError(400, error);
    throw error;
  }
  await next();
};

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
