/**
 * The MLflow filter language, shared by every backend: tokenizer and parser (`parseFilter`,
 * `parseOrderBy`, `normalizeQuery`), formatter (`formatFilter`, `formatOrderBy`) and the
 * matcher (`matchesFilter`) that defines what a clause means.
 */
import type {
  FilterClause,
  FilterOp,
  NormalizedQuery,
  OrderBy,
  RunAttribute,
  RunRecord,
  SearchEntity,
  SearchRunsQuery,
  TrackingValidationError,
} from './tracker.js';
import { invalid } from './validate.js';

// ---------------------------------------------------------------------------------------------
// Search: parsing
// ---------------------------------------------------------------------------------------------

const ATTRIBUTES: readonly RunAttribute[] = ['run_id', 'run_name', 'status', 'start_time', 'end_time'];
const ATTRIBUTE_ALIASES: Record<string, RunAttribute> = {
  run_id: 'run_id',
  runid: 'run_id',
  run_name: 'run_name',
  runname: 'run_name',
  status: 'status',
  start_time: 'start_time',
  starttime: 'start_time',
  end_time: 'end_time',
  endtime: 'end_time',
};
const ENTITY_PREFIX: Record<string, SearchEntity> = {
  metric: 'metric',
  metrics: 'metric',
  param: 'param',
  params: 'param',
  parameter: 'param',
  parameters: 'param',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
};

export function isNumericAttribute(key: string): boolean {
  return key === 'start_time' || key === 'end_time';
}

function queryError(message: string): TrackingValidationError {
  return invalid('invalid_query', message);
}

interface Token {
  kind: 'ident' | 'string' | 'number' | 'op' | 'dot' | 'comma';
  text: string;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= src.length) throw queryError(`unterminated ${c}-quoted text in ${JSON.stringify(src)}`);
        const d = src[j];
        if (d === '\\' && j + 1 < src.length) {
          text += src[j + 1];
          j += 2;
          continue;
        }
        if (d === c) {
          if (src[j + 1] === c) {
            text += c;
            j += 2;
            continue;
          }
          break;
        }
        text += d;
        j++;
      }
      out.push({ kind: c === "'" ? 'string' : 'ident', text });
      // a double-quoted token is an identifier part after a dot, a string value otherwise
      if (c === '"' && out.length >= 2 && out[out.length - 2].kind === 'op')
        out[out.length - 1].kind = 'string';
      i = j + 1;
      continue;
    }
    const op = /^(<=|>=|!=|<>|==|=|<|>)/.exec(src.slice(i));
    if (op) {
      out.push({ kind: 'op', text: op[1] === '<>' ? '!=' : op[1] === '==' ? '=' : op[1] });
      i += op[1].length;
      continue;
    }
    if (c === ',') {
      out.push({ kind: 'comma', text: c });
      i++;
      continue;
    }
    const num = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?(?![\w])/.exec(src.slice(i));
    if (num && (out.length === 0 || out[out.length - 1].kind === 'op')) {
      out.push({ kind: 'number', text: num[0] });
      i += num[0].length;
      continue;
    }
    if (c === '.') {
      out.push({ kind: 'dot', text: c });
      i++;
      continue;
    }
    const id = /^[\p{L}\p{N}_\-/:]+/u.exec(src.slice(i));
    if (id) {
      out.push({ kind: 'ident', text: id[0] });
      i += id[0].length;
      continue;
    }
    throw queryError(`unexpected character ${JSON.stringify(c)} at ${i} in ${JSON.stringify(src)}`);
  }
  return out;
}

/** Reads `entity.key` (key may be quoted or dotted) from tokens starting at `pos`. */
function readIdentifier(
  toks: Token[],
  pos: number,
  src: string,
): { entity: SearchEntity; key: string; pos: number } {
  const first = toks[pos];
  if (first?.kind !== 'ident') throw queryError(`expected a key like metrics.f1 in ${JSON.stringify(src)}`);
  const prefix = ENTITY_PREFIX[first.text.toLowerCase()];
  if (prefix && toks[pos + 1]?.kind === 'dot') {
    let p = pos + 2;
    const parts: string[] = [];
    for (;;) {
      const t = toks[p];
      if (t?.kind !== 'ident')
        throw queryError(`expected a key after "${first.text}." in ${JSON.stringify(src)}`);
      parts.push(t.text);
      p++;
      if (toks[p]?.kind === 'dot') p++;
      else break;
    }
    let key = parts.join('.');
    if (prefix === 'attribute') {
      const a = ATTRIBUTE_ALIASES[key.toLowerCase()];
      if (!a) throw queryError(`unknown attribute "${key}"; use one of ${ATTRIBUTES.join(', ')}`);
      key = a;
    }
    return { entity: prefix, key, pos: p };
  }
  const a = ATTRIBUTE_ALIASES[first.text.toLowerCase()];
  if (a) return { entity: 'attribute', key: a, pos: pos + 1 };
  throw queryError(
    `"${first.text}" is not a search key; prefix it with metrics., params., tags. or attributes. (in ${JSON.stringify(src)})`,
  );
}

/** Checks a clause's operator and value type against its entity; normalises numbers. */
export function checkClause(c: FilterClause): FilterClause {
  const numeric = c.entity === 'metric' || (c.entity === 'attribute' && isNumericAttribute(c.key));
  const op = (typeof c.op === 'string' ? c.op.toUpperCase() : c.op) as FilterOp;
  if (!['=', '!=', '<', '<=', '>', '>=', 'LIKE', 'ILIKE'].includes(op)) {
    throw queryError(`unknown operator ${JSON.stringify(c.op)}`);
  }
  if (c.entity === 'attribute' && !ATTRIBUTES.includes(c.key as RunAttribute)) {
    throw queryError(`unknown attribute "${c.key}"; use one of ${ATTRIBUTES.join(', ')}`);
  }
  if (typeof c.key !== 'string' || c.key.length === 0)
    throw queryError('filter key must be a non-empty string');
  if (numeric) {
    if (op === 'LIKE' || op === 'ILIKE')
      throw queryError(`${c.entity} "${c.key}" is numeric: LIKE is for strings`);
    const v = typeof c.value === 'number' ? c.value : Number(c.value);
    if (typeof c.value === 'string' && (c.value.trim() === '' || Number.isNaN(v))) {
      throw queryError(`${c.entity} "${c.key}" compares with numbers, got ${JSON.stringify(c.value)}`);
    }
    return { entity: c.entity, key: c.key, op, value: v };
  }
  if (!['=', '!=', 'LIKE', 'ILIKE'].includes(op)) {
    throw queryError(`${c.entity} "${c.key}" compares as a string: use =, !=, LIKE or ILIKE, not ${op}`);
  }
  if (typeof c.value !== 'string') {
    throw queryError(`${c.entity} "${c.key}" compares with a quoted string, got ${JSON.stringify(c.value)}`);
  }
  return { entity: c.entity, key: c.key, op, value: c.value };
}

/** Parses MLflow filter syntax: `clause (AND clause)*`, e.g. `metrics.f1 > 0.5 and params.model = 'zms'`. */
export function parseFilter(src: string): FilterClause[] {
  const toks = tokenize(src);
  const out: FilterClause[] = [];
  let pos = 0;
  while (pos < toks.length) {
    const id = readIdentifier(toks, pos, src);
    pos = id.pos;
    const opTok = toks[pos];
    let op: string;
    if (opTok?.kind === 'op') op = opTok.text;
    else if (opTok?.kind === 'ident' && /^i?like$/i.test(opTok.text)) op = opTok.text.toUpperCase();
    else throw queryError(`expected a comparison operator after "${id.key}" in ${JSON.stringify(src)}`);
    pos++;
    const valTok = toks[pos];
    if (!valTok || (valTok.kind !== 'string' && valTok.kind !== 'number')) {
      throw queryError(
        `expected a number or a quoted string after "${id.key} ${op}" in ${JSON.stringify(src)}`,
      );
    }
    pos++;
    out.push(
      checkClause({
        entity: id.entity,
        key: id.key,
        op: op as FilterOp,
        value: valTok.kind === 'number' ? Number(valTok.text) : valTok.text,
      }),
    );
    if (pos < toks.length) {
      const and = toks[pos];
      if (and.kind !== 'ident' || and.text.toLowerCase() !== 'and') {
        throw queryError(`expected AND between comparisons (OR is not supported) in ${JSON.stringify(src)}`);
      }
      pos++;
      if (pos >= toks.length) throw queryError(`dangling AND at the end of ${JSON.stringify(src)}`);
    }
  }
  return out;
}

/** Parses `metrics.f1 DESC`, `attributes.start_time`, `params.window ASC`. */
export function parseOrderBy(src: string): OrderBy {
  const toks = tokenize(src);
  const id = readIdentifier(toks, 0, src);
  let direction: 'ASC' | 'DESC' = 'ASC';
  if (id.pos < toks.length) {
    const d = toks[id.pos];
    if (d.kind !== 'ident' || !/^(asc|desc)$/i.test(d.text) || id.pos + 1 !== toks.length) {
      throw queryError(`orderBy ${JSON.stringify(src)} must be "<key> [ASC|DESC]"`);
    }
    direction = d.text.toUpperCase() as 'ASC' | 'DESC';
  }
  return { entity: id.entity, key: id.key, direction };
}

/** Turns any accepted query form into clauses and sort keys (validated). */
export function normalizeQuery(q: SearchRunsQuery = {}): NormalizedQuery {
  const experiments =
    q.experiment === undefined ? null : typeof q.experiment === 'string' ? [q.experiment] : [...q.experiment];
  const filter =
    q.filter === undefined
      ? []
      : typeof q.filter === 'string'
        ? parseFilter(q.filter)
        : q.filter.map((c) => checkClause(c));
  const rawOrder = q.orderBy === undefined ? [] : Array.isArray(q.orderBy) ? q.orderBy : [q.orderBy];
  const orderBy = (rawOrder as readonly (string | OrderBy)[]).map((o) => {
    if (typeof o === 'string') return parseOrderBy(o);
    if (!['metric', 'param', 'tag', 'attribute'].includes(o.entity)) {
      throw queryError(
        `orderBy entity must be metric, param, tag or attribute, got ${JSON.stringify(o.entity)}`,
      );
    }
    if (o.entity === 'attribute' && !ATTRIBUTES.includes(o.key as RunAttribute)) {
      throw queryError(`unknown attribute "${o.key}"; use one of ${ATTRIBUTES.join(', ')}`);
    }
    const direction = (o.direction ?? 'ASC').toUpperCase();
    if (direction !== 'ASC' && direction !== 'DESC')
      throw queryError(`orderBy direction must be ASC or DESC`);
    return { entity: o.entity, key: o.key, direction: direction as 'ASC' | 'DESC' };
  });
  let maxResults: number | null = null;
  if (q.maxResults !== undefined) {
    if (!Number.isSafeInteger(q.maxResults) || q.maxResults < 0) {
      throw queryError(`maxResults must be a non-negative integer, got ${q.maxResults}`);
    }
    maxResults = q.maxResults;
  }
  return { experiments, filter, orderBy, maxResults };
}

function quoteIdent(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `\`${key.replace(/`/g, '``')}\``;
}

function quoteString(v: string): string {
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const ENTITY_WORD: Record<SearchEntity, string> = {
  metric: 'metrics',
  param: 'params',
  tag: 'tags',
  attribute: 'attributes',
};

/** Formats clauses back to MLflow filter syntax (for the REST backend). */
export function formatFilter(clauses: readonly FilterClause[]): string {
  return clauses
    .map((c) => {
      const v = typeof c.value === 'number' ? String(c.value) : quoteString(c.value);
      return `${ENTITY_WORD[c.entity]}.${quoteIdent(c.key)} ${c.op} ${v}`;
    })
    .join(' AND ');
}

export function formatOrderBy(o: OrderBy): string {
  return `${ENTITY_WORD[o.entity]}.${quoteIdent(o.key)} ${o.direction ?? 'ASC'}`;
}

// ---------------------------------------------------------------------------------------------
// Search: evaluation (memory and file backends)
// ---------------------------------------------------------------------------------------------

/** SQL LIKE semantics: `%` any run, `_` one character, `\` escapes the next character. */
export function likeToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) {
      re += pattern[++i].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else if (c === '%') re += '[\\s\\S]*';
    else if (c === '_') re += '[\\s\\S]';
    else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, caseInsensitive ? 'iu' : 'u');
}

function attributeValue(r: RunRecord, key: string): string | number | null {
  switch (key) {
    case 'run_id':
      return r.info.runId;
    case 'run_name':
      return r.info.runName;
    case 'status':
      return r.info.status;
    case 'start_time':
      return r.info.startTime;
    case 'end_time':
      return r.info.endTime;
    default:
      return null;
  }
}

/** The value a clause or sort key looks at, or null when the run lacks it. */
export function searchValue(r: RunRecord, entity: SearchEntity, key: string): string | number | null {
  switch (entity) {
    case 'metric': {
      const m = Object.hasOwn(r.data.metrics, key) ? r.data.metrics[key] : undefined;
      return m === undefined ? null : m.value;
    }
    case 'param':
      return Object.hasOwn(r.data.params, key) ? r.data.params[key] : null;
    case 'tag':
      return Object.hasOwn(r.data.tags, key) ? r.data.tags[key] : null;
    case 'attribute':
      return attributeValue(r, key);
  }
}

/** Whether a run satisfies every clause. NaN metric values match no comparison. */
export function matchesFilter(r: RunRecord, clauses: readonly FilterClause[]): boolean {
  for (const c of clauses) {
    const v = searchValue(r, c.entity, c.key);
    if (v === null) return false;
    if (typeof c.value === 'number') {
      const x = Number(v);
      if (Number.isNaN(x) || Number.isNaN(c.value)) return false;
      const ok =
        c.op === '='
          ? x === c.value
          : c.op === '!='
            ? x !== c.value
            : c.op === '<'
              ? x < c.value
              : c.op === '<='
                ? x <= c.value
                : c.op === '>'
                  ? x > c.value
                  : c.op === '>='
                    ? x >= c.value
                    : false;
      if (!ok) return false;
    } else {
      const s = String(v);
      const ok =
        c.op === '='
          ? s === c.value
          : c.op === '!='
            ? s !== c.value
            : c.op === 'LIKE' || c.op === 'ILIKE'
              ? likeToRegExp(c.value, c.op === 'ILIKE').test(s)
              : false;
      if (!ok) return false;
    }
  }
  return true;
}
