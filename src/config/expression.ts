import { ConfigError } from './errors.js';
import type { AxisValue, Combo, Grid } from './grid.js';
import { didYouMean } from '../core/suggest.js';

/*
 * The `where` constraint of an optimization, compiled to a closure without eval or Function, so a
 * config can never run code. Pure: the workflow compiles it to skip combinations.
 *
 * Grammar, loosest binding first (Python-like: `not` binds looser than comparisons, so
 * `not fast < 10` means `not (fast < 10)`):
 *   or:         and (('or' | '||') and)*
 *   and:        not (('and' | '&&') not)*
 *   not:        ('not' | '!') not | comparison
 *   comparison: sum (('<' | '<=' | '>' | '>=' | '==' | '!=') sum)?   (no chains: write `a < b and b < c`)
 *   sum:        product (('+' | '-') product)*
 *   product:    unary (('*' | '/' | '%') unary)*
 *   unary:      '-' unary | primary
 *   primary:    number | 'string' | "string" | true | false | name | '(' or ')'
 * A name is an axis label (`fast`), or `plugin.param` / `phase.plugin.param` of an axis.
 * Types are checked when evaluated: arithmetic and `-` need numbers, `+` adds numbers or joins
 * strings, `<`-style comparisons need two numbers or two strings, `==`/`!=` compare strictly
 * (a number never equals a string). Division by zero gives ±Infinity or NaN as in IEEE arithmetic
 * (every comparison with NaN is false). `and`/`or`/`not` use truthiness (0, '' and false are false).
 */

type Evaluate = (combo: Combo) => AxisValue;
/** One operator of a chain and the operand on its right. */
interface Step {
  right: Evaluate;
  apply: (a: AxisValue, b: AxisValue) => AxisValue;
}
/** A compiled `where`: true for an admissible combination; `nodes` is what one test of it costs. */
export type Where = ((combo: Combo) => boolean) & { nodes: number };

interface Token {
  kind: 'number' | 'string' | 'name' | 'op' | 'end';
  text: string;
  value?: AxisValue;
  /** 1-based column in the expression. */
  column: number;
}

/**
 * Bounds on a `where`. Parsing and evaluation recurse only through parentheses, `not` and unary
 * minus (chains of operators are loops), so `depth` keeps both far from the stack's end. A test of
 * one combination costs about one evaluation per node of the expression (~10–15 ns each); the whole
 * grid may cost at most `evaluations` (about a second or two at submission, where they are all counted).
 */
export const WHERE_LIMITS = { length: 4_000, depth: 32, evaluations: 100_000_000 } as const;

const KEYWORDS = new Set(['and', 'or', 'not', 'true', 'false']);
const OPERATORS = ['<=', '>=', '==', '!=', '&&', '||', '<', '>', '+', '-', '*', '/', '%', '!', '(', ')'];

export function compileWhere(expr: string, grid: Grid, file: string, field: string): Where {
  const fail = (column: number, reason: string): never => {
    throw new ConfigError(file, field, `column ${column}: ${reason} in "${expr}"`);
  };
  const names = new Map<string, string>();
  for (const axis of grid.axes) {
    names.set(`${axis.phase}.${axis.plugin}.${axis.param}`, axis.label);
    if (grid.axes.filter((a) => a.plugin === axis.plugin && a.param === axis.param).length === 1) {
      names.set(`${axis.plugin}.${axis.param}`, axis.label);
    }
  }
  for (const axis of grid.axes) names.set(axis.label, axis.label);

  if (expr.length > WHERE_LIMITS.length) {
    throw new ConfigError(file, field, `is ${expr.length.toLocaleString('en-US')} characters long, more than the ${WHERE_LIMITS.length.toLocaleString('en-US')} a where expression may have`);
  }
  const tokens = tokenize(expr, fail);
  let pos = 0;
  // Parentheses, `not` and unary minus nest the parser; each level is counted on the way in.
  let depth = 0;
  const nested = <T>(column: number, parse: () => T): T => {
    if (++depth > WHERE_LIMITS.depth) fail(column, `nests deeper than ${WHERE_LIMITS.depth} levels (parentheses, not, unary minus)`);
    const out = parse();
    depth--;
    return out;
  };
  const peek = () => tokens[pos];
  const isOp = (...ops: string[]) => peek().kind === 'op' && ops.includes(peek().text);
  const isWord = (...words: string[]) => peek().kind === 'name' && words.includes(peek().text);

  // Every closure built is one node: what evaluating the expression once costs, at most.
  let nodes = 0;
  const node = (evaluate: Evaluate): Evaluate => {
    nodes++;
    return evaluate;
  };
  // Chains (`a or b or …`, `a + b - …`) evaluate in a loop over their operands, not as a tower of
  // closures one call deeper per operator: evaluation then nests no deeper than the parentheses.
  const parseOr = (): Evaluate => {
    const operands = [parseAnd()];
    while (isOp('||') || isWord('or')) {
      pos++;
      operands.push(parseAnd());
    }
    if (operands.length === 1) return operands[0];
    return node((c) => {
      for (const o of operands) if (truthy(o(c))) return true;
      return false;
    });
  };
  const parseAnd = (): Evaluate => {
    const operands = [parseNot()];
    while (isOp('&&') || isWord('and')) {
      pos++;
      operands.push(parseNot());
    }
    if (operands.length === 1) return operands[0];
    return node((c) => {
      for (const o of operands) if (!truthy(o(c))) return false;
      return true;
    });
  };
  const parseNot = (): Evaluate => {
    if (isOp('!') || isWord('not')) {
      const operand = nested(tokens[pos++].column, parseNot);
      return node((c) => !truthy(operand(c)));
    }
    return parseComparison();
  };
  const parseComparison = (): Evaluate => {
    const left = parseSum();
    if (!isOp('<', '<=', '>', '>=', '==', '!=')) return left;
    const op = tokens[pos++];
    const right = parseSum();
    if (isOp('<', '<=', '>', '>=', '==', '!=')) fail(peek().column, `comparisons cannot be chained; join them with "and"`);
    if (op.text === '==') return node((c) => left(c) === right(c));
    if (op.text === '!=') return node((c) => left(c) !== right(c));
    const compare = ORDERINGS[op.text];
    return node((c) => {
      const a = left(c);
      const b = right(c);
      if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string'))) {
        fail(op.column, `"${op.text}" compares two numbers or two strings, got ${describe(a)} and ${describe(b)}`);
      }
      return compare(a as number, b as number);
    });
  };
  const parseSum = (): Evaluate => {
    const first = parseProduct();
    const steps: Step[] = [];
    while (isOp('+', '-')) {
      const op = tokens[pos++];
      steps.push({ right: parseProduct(), apply: op.text === '+' ? plus(op) : arithmetic(op, (a, b) => a - b) });
    }
    return chain(first, steps);
  };
  const parseProduct = (): Evaluate => {
    const first = parseUnary();
    const steps: Step[] = [];
    while (isOp('*', '/', '%')) {
      const op = tokens[pos++];
      steps.push({ right: parseUnary(), apply: arithmetic(op, ARITHMETIC[op.text]) });
    }
    return chain(first, steps);
  };
  /** A left-associative chain `first op right op right …`, folded left to right. */
  const chain = (first: Evaluate, steps: Step[]): Evaluate => {
    if (steps.length === 0) return first;
    return node((c) => {
      let acc = first(c);
      for (const step of steps) acc = step.apply(acc, step.right(c));
      return acc;
    });
  };
  const parseUnary = (): Evaluate => {
    if (!isOp('-')) return parsePrimary();
    const op = tokens[pos++];
    const operand = nested(op.column, parseUnary);
    return node((c) => {
      const a = operand(c);
      return typeof a === 'number' ? -a : fail(op.column, `"-" needs a number, got ${describe(a)}`);
    });
  };
  const parsePrimary = (): Evaluate => {
    const token = tokens[pos++];
    if (token.kind === 'number' || token.kind === 'string') {
      const value = token.value as AxisValue;
      return node(() => value);
    }
    if (token.kind === 'name' && (token.text === 'true' || token.text === 'false')) {
      const value = token.text === 'true';
      return node(() => value);
    }
    if (token.kind === 'name' && !KEYWORDS.has(token.text)) {
      const label = names.get(token.text);
      if (label === undefined) {
        const known = grid.axes.map((a) => `"${a.label}"`).join(', ');
        return fail(token.column, `unknown name "${token.text}"${didYouMean(token.text, names.keys())} (parameters: ${known})`);
      }
      if (peek().kind === 'op' && peek().text === '(') fail(peek().column, 'function calls are not supported');
      return node((c) => c[label]);
    }
    if (token.kind === 'op' && token.text === '(') {
      const inner = nested(token.column, parseOr);
      if (!isOp(')')) fail(peek().column, `expected ")" but found ${shown(peek())}`);
      pos++;
      return inner;
    }
    return fail(token.column, `expected a value but found ${shown(token)}`);
  };

  function arithmetic(op: Token, apply: (a: number, b: number) => number): Step['apply'] {
    return (a, b) => {
      if (typeof a !== 'number' || typeof b !== 'number') {
        return fail(op.column, `"${op.text}" needs two numbers, got ${describe(a)} and ${describe(b)}`);
      }
      return apply(a, b);
    };
  }
  function plus(op: Token): Step['apply'] {
    return (a, b) => {
      if (typeof a === 'number' && typeof b === 'number') return a + b;
      if (typeof a === 'string' && typeof b === 'string') return a + b;
      return fail(op.column, `"+" adds two numbers or joins two strings, got ${describe(a)} and ${describe(b)}`);
    };
  }

  const root = parseOr();
  if (peek().kind !== 'end') fail(peek().column, `unexpected ${shown(peek())}`);
  return Object.assign((combo: Combo) => truthy(root(combo)), { nodes });
}

/**
 * Refuses a `where` whose test of every combination would cost more than WHERE_LIMITS.evaluations
 * node evaluations: the submission counts the admissible combinations that way, and the sweep's
 * workflow walks them again in tasks of bounded cost (docs/formats.md).
 */
export function refuseCostlyWhere(where: Where, expr: string, grid: Grid, file: string, field: string): void {
  const cost = where.nodes * grid.size;
  if (cost <= WHERE_LIMITS.evaluations) return;
  const n = (x: number) => x.toLocaleString('en-US');
  throw new ConfigError(
    file,
    field,
    `"${expr.length > 60 ? `${expr.slice(0, 60)}…` : expr}" has ${n(where.nodes)} terms; tested on each of the ${n(grid.size)} combinations that is ${n(cost)} evaluations, more than the ${n(WHERE_LIMITS.evaluations)} allowed: simplify the expression or narrow the grid`,
  );
}

const ORDERINGS: Record<string, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};
const ARITHMETIC: Record<string, (a: number, b: number) => number> = {
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '%': (a, b) => a % b,
};

function tokenize(expr: string, fail: (column: number, reason: string) => never): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const ch = expr[i];
    const column = i + 1;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const number = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(expr.slice(i));
    if (number) {
      tokens.push({ kind: 'number', text: number[0], value: Number(number[0]), column });
      i += number[0].length;
      continue;
    }
    const name = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*/.exec(expr.slice(i));
    if (name) {
      tokens.push({ kind: 'name', text: name[0], column });
      i += name[0].length;
      continue;
    }
    if (ch === "'" || ch === '"') {
      let value = '';
      let j = i + 1;
      while (j < expr.length && expr[j] !== ch) {
        if (expr[j] === '\\' && j + 1 < expr.length) j++;
        value += expr[j++];
      }
      if (j >= expr.length) fail(column, `string starting here is not closed with ${ch}`);
      tokens.push({ kind: 'string', text: expr.slice(i, j + 1), value, column });
      i = j + 1;
      continue;
    }
    const op = OPERATORS.find((o) => expr.startsWith(o, i));
    if (!op) fail(column, ch === '=' ? 'unexpected "=" (compare with "==")' : `unexpected character "${ch}"`);
    tokens.push({ kind: 'op', text: op!, column });
    i += op!.length;
  }
  tokens.push({ kind: 'end', text: '', column: expr.length + 1 });
  return tokens;
}

function truthy(value: AxisValue): boolean {
  return Boolean(value);
}

function describe(value: AxisValue): string {
  return typeof value === 'string' ? `"${value}" (string)` : `${value} (${typeof value})`;
}

function shown(token: Token): string {
  return token.kind === 'end' ? 'the end of the expression' : `"${token.text}"`;
}
