import { CORE_SCHEMA, YAMLException, constructFromEvents, dump, parseEvents, visit, type Event } from 'js-yaml';
import { ConfigError, joinPath } from '../config/errors.js';
import { cloneJson, documentProblem, MAX_DOCUMENT_DEPTH } from '../core/json.js';

/*
 * YAML in and out. Input is user-controlled (files, API bodies), so parsing is bounded: the core
 * schema only (no custom tags; dates stay strings, which DateSchema validates), and limits on
 * aliases, nesting and the size the document would have with every alias expanded, so a
 * "billion laughs" document is refused before anything walks it.
 */

/** A YAML file larger than this is refused unread: ten times the API's body limit, far beyond any real file. */
export const MAX_YAML_BYTES = 16 * 1024 * 1024;

export const YAML_LIMITS = { aliases: 10_000, depth: MAX_DOCUMENT_DEPTH, expandedNodes: 1_000_000 } as const;

export function parseYaml(text: string | Buffer, file: string): unknown {
  const source = typeof text === 'string' ? text.replace(/^\uFEFF/, '') : decodeUtf8(text, file);
  let documents: unknown[];
  try {
    // js-yaml counts every node, scalars too, and refuses one at depth maxDepth: `depth` levels of
    // collections put their scalars at node depth depth + 1, so maxDepth is depth + 2.
    const events = parseEvents(source, { filename: file, maxDepth: YAML_LIMITS.depth + 2 });
    checkExpansion(events, source, file);
    checkNumberRange(events, source, file);
    documents = constructFromEvents(events, { source, filename: file, schema: CORE_SCHEMA, maxAliases: YAML_LIMITS.aliases });
  } catch (error) {
    if (error instanceof YAMLException) throw fromYamlException(error, file);
    throw error;
  }
  if (documents.length > 1) throw new ConfigError(file, '', `holds ${documents.length} YAML documents ("---"); put one per file`);
  if (documents[0] === undefined || documents[0] === null) throw new ConfigError(file, '', 'is empty');
  return checkedDocument(documents[0], file);
}

/** A parsed user document (YAML or JSON), once it is known not to reach an object's prototype. */
export function checkedDocument(doc: unknown, file: string): unknown {
  const problem = documentProblem(doc);
  if (problem) throw new ConfigError(file, joinPath(...problem.path), problem.reason);
  return doc;
}

/** YAML with every mapping's keys sorted and no anchors/aliases, so equal values dump identically. */
export function dumpYaml(value: unknown): string {
  return dump(cloneJson(value), {
    noRefs: true,
    lineWidth: -1,
    transform: (documents) =>
      visit(documents, (node) => {
        if (node.kind !== 'mapping') return;
        // Plain code-unit order, not localeCompare: the output must not depend on the machine's locale.
        const key = (item: (typeof node.items)[number]) => (item.key.kind === 'scalar' ? item.key.value : '');
        node.items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      }),
  });
}

function decodeUtf8(bytes: Buffer, file: string): string {
  try {
    // The decoder drops a leading BOM.
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new ConfigError(file, position(bytes.subarray(0, at).toString('utf8'), at), 'is not valid UTF-8 text (save the file as UTF-8)');
  }
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let lo = 0;
  let hi = bytes.length;
  // The longest valid prefix, by bisection (a prefix cut inside a valid character is invalid too,
  // which can only move the answer back by up to three bytes, onto that character's start).
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    try {
      decoder.decode(bytes.subarray(0, mid));
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return lo;
}

/**
 * Walks the parser's events and computes, per node, its size and height with aliases expanded
 * (an alias counts as a copy of its anchor's node), so the limits hold for what a consumer would walk.
 */
function checkExpansion(events: Event[], source: string, file: string): void {
  const anchors = new Map<string, { size: number; height: number }>();
  // Open collections: size = 1 + expanded sizes of the children so far; height = 1 + tallest child.
  const stack: Array<{ size: number; height: number; anchor: string | null }> = [];
  let aliases = 0;
  let total = 0;
  const count = (size: number, offset: number): void => {
    total += size;
    if (total > YAML_LIMITS.expandedNodes) {
      throw new ConfigError(file, position(source, offset), `expands to more than ${YAML_LIMITS.expandedNodes.toLocaleString('en-US')} nodes through aliases`);
    }
  };
  const addChild = (size: number, height: number): void => {
    const parent = stack[stack.length - 1];
    if (!parent) return;
    parent.size += size;
    parent.height = Math.max(parent.height, height + 1);
  };
  const anchorOf = (start: number, end: number) => (start >= 0 ? source.slice(start, end) : null);
  for (const event of events) {
    if (event.type === 2 || event.type === 3) {
      // sequence or mapping start
      count(1, event.start);
      stack.push({ size: 1, height: 0, anchor: anchorOf(event.anchorStart, event.anchorEnd) });
    } else if (event.type === 4) {
      // scalar
      count(1, event.valueStart);
      const anchor = anchorOf(event.anchorStart, event.anchorEnd);
      if (anchor !== null) anchors.set(anchor, { size: 1, height: 0 });
      addChild(1, 0);
    } else if (event.type === 5) {
      // alias
      if (++aliases > YAML_LIMITS.aliases) {
        throw new ConfigError(file, position(source, event.anchorStart), `uses more than ${YAML_LIMITS.aliases.toLocaleString('en-US')} aliases`);
      }
      // An unknown anchor is reported by the constructor with its own message.
      const target = anchors.get(source.slice(event.anchorStart, event.anchorEnd)) ?? { size: 1, height: 0 };
      if (stack.length + target.height > YAML_LIMITS.depth) {
        throw new ConfigError(file, position(source, event.anchorStart), `nests deeper than ${YAML_LIMITS.depth} levels once aliases are expanded`);
      }
      count(target.size, event.anchorStart);
      addChild(target.size, target.height);
    } else if (event.type === 6) {
      // end of a collection, or of a document (documents are not on the stack)
      const frame = stack.pop();
      if (!frame) continue;
      if (frame.anchor !== null) anchors.set(frame.anchor, { size: frame.size, height: frame.height });
      addChild(frame.size, frame.height);
    }
  }
}

/** What YAML's core schema reads as a decimal number (js-yaml writes no `_` in numbers). */
const NUMBER_SYNTAX = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;

/**
 * A plain scalar written as a number too large for a double (`1e309`) would overflow to Infinity, so
 * js-yaml keeps it as the string "1e309", and a number field then says "expected number, received
 * string". Refused here instead, naming the field: the walk keeps the path of keys and indices to
 * each scalar. A tagged (`!!str 1e309`) or quoted scalar is text, as written.
 */
function checkNumberRange(events: Event[], source: string, file: string): void {
  // Open collections: whether a mapping, children seen so far, the key of the child being read.
  const stack: Array<{ mapping: boolean; count: number; key: string; path: Array<string | number> }> = [];
  const childPath = (): Array<string | number> => {
    const parent = stack[stack.length - 1];
    if (!parent) return [];
    return [...parent.path, parent.mapping ? parent.key : parent.count - 1];
  };
  for (const event of events) {
    if (event.type !== 2 && event.type !== 3 && event.type !== 4 && event.type !== 5) {
      if (event.type === 6) stack.pop();
      continue;
    }
    const parent = stack[stack.length - 1];
    const isKey = parent !== undefined && parent.mapping && parent.count % 2 === 0;
    if (parent) parent.count++;
    if (event.type === 4) {
      const text = source.slice(event.valueStart, event.valueEnd);
      if (isKey) {
        parent!.key = text;
      } else if (event.style === 1 && event.tagStart < 0 && NUMBER_SYNTAX.test(text) && Math.abs(Number(text)) === Infinity) {
        const shown = text.length > 40 ? `${text.slice(0, 20)}… (${text.length} characters)` : text;
        throw new ConfigError(file, joinPath(...childPath()), `${shown} is out of range for a number (beyond ±1.8e308); write a smaller number, or quote it if it is text`);
      }
    } else if (event.type !== 5) {
      stack.push({ mapping: event.type === 3, count: 0, key: '', path: isKey ? [] : childPath() });
    }
  }
}

function fromYamlException(error: YAMLException, file: string): ConfigError {
  const mark = error.mark;
  const where = mark ? `line ${mark.line + 1}, column ${mark.column + 1}` : '';
  const reason = error.reason.replace(/^nesting exceeded maxDepth \(\d+\)$/, `nests deeper than ${YAML_LIMITS.depth} levels`).replace(/^aliases exceeded maxAliases \((\d+)\)$/, 'uses more than $1 aliases');
  return new ConfigError(file, where, reason);
}

/** `line N, column M` (1-based) of a character offset. */
function position(source: string, offset: number): string {
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}
