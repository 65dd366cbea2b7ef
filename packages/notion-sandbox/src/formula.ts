/**
 * A small evaluator for Notion formula expressions, enough for the fake to
 * return plausible values: literals, prop("Name"), arithmetic, comparisons,
 * and/or/not, if(), and a handful of functions. Anything it cannot evaluate
 * yields an empty result instead of failing the request.
 */

export type FormulaValue = number | string | boolean | { date: number } | null;

export type FormulaResult =
  | { type: 'number'; number: number | null }
  | { type: 'string'; string: string | null }
  | { type: 'boolean'; boolean: boolean | null }
  | { type: 'date'; date: { start: string; end: null; time_zone: null } | null };

type Token = { kind: 'num'; value: number } | { kind: 'str'; value: string } | { kind: 'id'; value: string } | { kind: 'op'; value: string };

class FormulaError extends Error {}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) { i += 1; continue; }
    const num = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(source.slice(i));
    if (num) { tokens.push({ kind: 'num', value: Number(num[0]) }); i += num[0].length; continue; }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let text = '';
      while (j < source.length && source[j] !== c) { text += source[j] === '\\' ? source[++j] ?? '' : source[j]; j += 1; }
      if (j >= source.length) throw new FormulaError('unterminated string');
      tokens.push({ kind: 'str', value: text }); i = j + 1; continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
    if (id) { tokens.push({ kind: 'id', value: id[0] }); i += id[0].length; continue; }
    const op = /^(==|!=|>=|<=|&&|\|\||[-+*/%^()<>!,=.?:])/.exec(source.slice(i));
    if (!op) throw new FormulaError(`unexpected character ${c}`);
    tokens.push({ kind: 'op', value: op[0] }); i += op[0].length;
  }
  return tokens;
}

const num = (v: FormulaValue): number | null => (typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : v && typeof v === 'object' ? v.date : typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : null);
const truthy = (v: FormulaValue): boolean => (typeof v === 'string' ? v !== '' : v !== null && v !== false && v !== 0);
const text = (v: FormulaValue): string => (v === null ? '' : typeof v === 'object' ? new Date(v.date).toISOString() : String(v));

const FUNCTIONS: Record<string, (args: FormulaValue[]) => FormulaValue> = {
  round: ([x, places]) => { const n = num(x ?? null); const p = num(places ?? 0) ?? 0; return n === null ? null : Math.round(n * 10 ** p) / 10 ** p; },
  floor: ([x]) => { const n = num(x ?? null); return n === null ? null : Math.floor(n); },
  ceil: ([x]) => { const n = num(x ?? null); return n === null ? null : Math.ceil(n); },
  abs: ([x]) => { const n = num(x ?? null); return n === null ? null : Math.abs(n); },
  min: (args) => { const ns = args.map(num).filter((n): n is number => n !== null); return ns.length ? Math.min(...ns) : null; },
  max: (args) => { const ns = args.map(num).filter((n): n is number => n !== null); return ns.length ? Math.max(...ns) : null; },
  sqrt: ([x]) => { const n = num(x ?? null); return n === null || n < 0 ? null : Math.sqrt(n); },
  toNumber: ([x]) => num(x ?? null),
  format: ([x]) => text(x ?? null),
  concat: (args) => args.map(text).join(''),
  length: ([x]) => text(x ?? null).length,
  empty: ([x]) => x === null || x === undefined || x === '' || x === 0 || x === false,
  not: ([x]) => !truthy(x ?? null),
  now: () => ({ date: Date.now() }),
};

export interface FormulaContext {
  /** The value of the property with this name, as a formula sees it. */
  prop(name: string): FormulaValue;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[], private readonly ctx: FormulaContext) {}

  parse(): FormulaValue {
    const value = this.expr();
    if (this.pos < this.tokens.length) throw new FormulaError('trailing input');
    return value;
  }

  private peek(value?: string): boolean {
    const t = this.tokens[this.pos];
    return t !== undefined && (value === undefined || ((t.kind === 'op' || t.kind === 'id') && t.value === value));
  }

  private take(value: string): boolean {
    if (!this.peek(value)) return false;
    this.pos += 1;
    return true;
  }

  private expr(): FormulaValue {
    const cond = this.or();
    if (!this.take('?')) return cond;
    const a = this.expr();
    if (!this.take(':')) throw new FormulaError('expected :');
    const b = this.expr();
    return truthy(cond) ? a : b;
  }

  private or(): FormulaValue {
    let left = this.and();
    while (this.take('or') || this.take('||')) { const right = this.and(); left = truthy(left) || truthy(right); }
    return left;
  }

  private and(): FormulaValue {
    let left = this.not();
    while (this.take('and') || this.take('&&')) { const right = this.not(); left = truthy(left) && truthy(right); }
    return left;
  }

  private not(): FormulaValue {
    if (this.take('not') || this.take('!')) return !truthy(this.not());
    return this.compare();
  }

  private compare(): FormulaValue {
    const left = this.add();
    for (const op of ['==', '!=', '>=', '<=', '>', '<', '=']) {
      if (!this.take(op)) continue;
      const right = this.add();
      if (op === '==' || op === '=') return text(left) === text(right) && typeof left === typeof right;
      if (op === '!=') return !(text(left) === text(right) && typeof left === typeof right);
      const a = num(left); const b = num(right);
      if (a === null || b === null) return false;
      return op === '>' ? a > b : op === '<' ? a < b : op === '>=' ? a >= b : a <= b;
    }
    return left;
  }

  private add(): FormulaValue {
    let left = this.mul();
    for (;;) {
      if (this.take('+')) {
        const right = this.mul();
        left = typeof left === 'string' || typeof right === 'string' ? text(left) + text(right) : arith(left, right, (a, b) => a + b);
      } else if (this.take('-')) left = arith(left, this.mul(), (a, b) => a - b);
      else return left;
    }
  }

  private mul(): FormulaValue {
    let left = this.unary();
    for (;;) {
      if (this.take('*')) left = arith(left, this.unary(), (a, b) => a * b);
      else if (this.take('/')) left = arith(left, this.unary(), (a, b) => (b === 0 ? NaN : a / b));
      else if (this.take('%')) left = arith(left, this.unary(), (a, b) => a % b);
      else return left;
    }
  }

  private unary(): FormulaValue {
    if (this.take('-')) return arith(0, this.unary(), (a, b) => a - b);
    const base = this.primary();
    return this.take('^') ? arith(base, this.unary(), (a, b) => a ** b) : base;
  }

  private primary(): FormulaValue {
    const t = this.tokens[this.pos++];
    if (!t) throw new FormulaError('unexpected end');
    if (t.kind === 'num' || t.kind === 'str') return t.value;
    if (t.kind === 'op') {
      if (t.value !== '(') throw new FormulaError(`unexpected ${t.value}`);
      const inner = this.expr();
      if (!this.take(')')) throw new FormulaError('expected )');
      return inner;
    }
    if (t.value === 'true' || t.value === 'false') return t.value === 'true';
    if (!this.take('(')) throw new FormulaError(`unknown name ${t.value}`);
    const args: FormulaValue[] = [];
    if (!this.take(')')) {
      do args.push(this.expr()); while (this.take(','));
      if (!this.take(')')) throw new FormulaError('expected )');
    }
    if (t.value === 'prop') return this.ctx.prop(text(args[0] ?? null));
    if (t.value === 'if') return truthy(args[0] ?? null) ? args[1] ?? null : args[2] ?? null;
    const fn = FUNCTIONS[t.value];
    if (!fn) throw new FormulaError(`unknown function ${t.value}`);
    return fn(args);
  }
}

function arith(a: FormulaValue, b: FormulaValue, op: (x: number, y: number) => number): FormulaValue {
  const x = num(a); const y = num(b);
  if (x === null || y === null) return null;
  const r = op(x, y);
  return Number.isFinite(r) ? r : null;
}

export function evaluateFormula(expression: string, ctx: FormulaContext): FormulaResult {
  let value: FormulaValue;
  try {
    value = new Parser(tokenize(expression), ctx).parse();
  } catch {
    return { type: 'string', string: null };
  }
  if (typeof value === 'number') return { type: 'number', number: value };
  if (typeof value === 'boolean') return { type: 'boolean', boolean: value };
  if (typeof value === 'string') return { type: 'string', string: value };
  if (value && typeof value === 'object') return { type: 'date', date: { start: new Date(value.date).toISOString(), end: null, time_zone: null } };
  return /[-+*/]|round|sum|toNumber/.test(expression) ? { type: 'number', number: null } : { type: 'string', string: null };
}
