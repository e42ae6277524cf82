import { DEFAULTS } from '../defaults.js';
import type { TraceRow } from '../store/core-tables.js';
import type { StoredSpan } from '../store/traces.js';
import { ATTR, EVENTS, type DecisionChoice, type DecisionSource, type DecisionTool } from './attributes.js';
import { oneLine } from './one-line.js';

export interface ExplainOptions {
  trace: TraceRow;
  spans: StoredSpan[];
  /** Characters of any input, output or message shown before it is trimmed. */
  trimChars?: number;
}

function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
}

function usd(value: unknown): string {
  const n = typeof value === 'number' ? value : 0;
  return `$${n < 0.01 && n > 0 ? n.toFixed(6) : n.toFixed(4)}`;
}

function duration(span: StoredSpan): string {
  return span.endedAt === null ? 'unfinished' : ms(span.endedAt - span.startedAt);
}

function lastMessageSummary(messages: unknown, max: number): string {
  if (!Array.isArray(messages) || messages.length === 0) return 'no messages';
  const last = messages[messages.length - 1] as { role?: string; content?: unknown };
  return `${messages.length} messages, last ${last.role ?? '?'}: "${oneLine(last.content ?? '', max)}"`;
}

function describeEvent(event: StoredSpan['events'][number], max: number): string | undefined {
  const a = event.attributes ?? {};
  switch (event.name) {
    case EVENTS.LIMIT:
      return `limit hit: ${String(a[ATTR.LIMIT_NAME])} (used ${String(a[ATTR.LIMIT_USED])} of ${String(a[ATTR.LIMIT_VALUE])})`;
    case EVENTS.LOOP:
      return `loop detector: ${String(a[ATTR.LOOP_PATTERN])} over steps ${JSON.stringify(a[ATTR.LOOP_STEPS])} → ${String(a[ATTR.LOOP_ACTION])}${a[ATTR.EVENT_DETAIL] ? ` (${oneLine(a[ATTR.EVENT_DETAIL], max)})` : ''}`;
    case EVENTS.APPROVAL:
      return `approval: ${String(a[ATTR.TOOL_NAME])} ${String(a[ATTR.EVENT_DETAIL] ?? '')}`;
    case EVENTS.RETRY:
      return `retry (attempt ${String(a[ATTR.ATTEMPTS] ?? '?')}): ${oneLine(a[ATTR.EVENT_DETAIL] ?? '', max)}`;
    case EVENTS.REASK:
      return `re-ask: ${oneLine(a[ATTR.EVENT_DETAIL] ?? '', max)}`;
    case EVENTS.CHECKPOINT:
      return undefined;
    case 'log':
      return a.level === 'debug' ? undefined : `log ${String(a.level)}: ${oneLine(a.message ?? '', max)}`;
    default:
      return `${event.name}${Object.keys(a).length ? `: ${oneLine(a, max)}` : ''}`;
  }
}

function describeModel(span: StoredSpan, max: number): string[] {
  const a = span.attributes;
  const head = [
    `model ${String(a[ATTR.RESPONSE_MODEL] ?? a[ATTR.REQUEST_MODEL] ?? span.name)}${a[ATTR.PROVIDER] ? ` (${String(a[ATTR.PROVIDER])})` : ''}`,
    `${String(a[ATTR.INPUT_TOKENS] ?? '?')}→${String(a[ATTR.OUTPUT_TOKENS] ?? '?')} tokens`,
    usd(a[ATTR.COST_USD]),
    duration(span),
    ...(typeof a[ATTR.TTFT_MS] === 'number' ? [`ttft ${ms(a[ATTR.TTFT_MS] as number)}`] : []),
    ...(a[ATTR.CACHE_STATUS] ? [`cache ${String(a[ATTR.CACHE_STATUS])}`] : []),
  ].join(' · ');
  const lines = [head];
  if (a[ATTR.DECISION_MESSAGES] !== undefined) {
    const tools = (a[ATTR.DECISION_TOOLS] as DecisionTool[] | undefined) ?? [];
    lines.push(`  shown:   ${lastMessageSummary(a[ATTR.DECISION_MESSAGES], max)}; tools: ${tools.length ? tools.map((t) => t.name).join(', ') : 'none'}`);
  }
  const choice = a[ATTR.DECISION_CHOICE] as DecisionChoice | undefined;
  if (choice?.type === 'tool_calls') {
    for (const call of choice.toolCalls) lines.push(`  chose:   ${call.name}(${oneLine(call.arguments, max)})`);
  } else if (choice?.type === 'answer') {
    lines.push(`  chose:   answer "${oneLine(choice.text, max)}"`);
  }
  if (a[ATTR.DECISION_RATIONALE]) lines.push(`  why:     "${oneLine(a[ATTR.DECISION_RATIONALE], max)}"`);
  const sources = a[ATTR.DECISION_SOURCES] as DecisionSource[] | undefined;
  if (sources?.length) lines.push(`  sources: ${sources.map((s) => `${s.kind} ${s.id}${s.title ? ` (${s.title})` : ''}`).join(', ')}`);
  if (span.error) lines.push(`  error:   ${span.error.code ? `[${span.error.code}] ` : ''}${oneLine(span.error.message, max)}`);
  return lines;
}

function describeTool(span: StoredSpan, max: number): string[] {
  const a = span.attributes;
  const failed = a[ATTR.TOOL_IS_ERROR] === true || span.status !== 'ok';
  const lines = [
    `tool ${String(a[ATTR.TOOL_NAME] ?? span.name)} · ${duration(span)}${failed ? ' · FAILED' : ''}${Number(a[ATTR.TOOL_ATTEMPTS] ?? 1) > 1 ? ` · ${String(a[ATTR.TOOL_ATTEMPTS])} attempts` : ''}`,
  ];
  if (a[ATTR.TOOL_INPUT] !== undefined) lines.push(`  input:  ${oneLine(a[ATTR.TOOL_INPUT], max)}`);
  if (a[ATTR.TOOL_OUTPUT] !== undefined) lines.push(`  output: ${oneLine(a[ATTR.TOOL_OUTPUT], max)}`);
  if (span.error) lines.push(`  error:  ${span.error.code ? `[${span.error.code}] ` : ''}${oneLine(span.error.message, max)}`);
  return lines;
}

function describeCheck(span: StoredSpan, max: number): string[] {
  const a = span.attributes;
  const score = typeof a[ATTR.CHECK_SCORE] === 'number' ? ` (${(a[ATTR.CHECK_SCORE] as number).toFixed(2)})` : '';
  const action = a[ATTR.CHECK_VERDICT] === 'fail' && a[ATTR.CHECK_ACTION] ? ` → ${String(a[ATTR.CHECK_ACTION])}` : '';
  return [
    `check ${String(a[ATTR.CHECK_NAME] ?? span.name)}: ${String(a[ATTR.CHECK_VERDICT] ?? span.status)}${score}${action}${a[ATTR.CHECK_REASON] ? ` — ${oneLine(a[ATTR.CHECK_REASON], max)}` : ''}`,
  ];
}

/**
 * A run as a readable timeline: each step, what the model was shown and chose and why, tool
 * inputs and outputs (trimmed), checks, limit and loop events, cost, and why the run stopped.
 */
export function explainTrace(options: ExplainOptions): string {
  const { trace, spans } = options;
  const max = options.trimChars ?? DEFAULTS.trace.explainTrimChars;
  const children = new Map<string | null, StoredSpan[]>();
  for (const span of spans) {
    const list = children.get(span.parentId) ?? [];
    list.push(span);
    children.set(span.parentId, list);
  }
  const roots = children.get(null) ?? [];
  const root = roots[0];
  const ra = root?.attributes ?? {};
  const out: string[] = [];

  const who = [trace.agent && `agent ${trace.agent}`, trace.session && `session ${trace.session}`, trace.tenant && `tenant ${trace.tenant}`]
    .filter(Boolean)
    .join(' · ');
  out.push(`${trace.kind === 'run' ? 'Run' : 'Trace'} ${trace.run_id ?? trace.id}${who ? ` · ${who}` : ''}`);
  out.push(
    `Started ${new Date(trace.started_at).toISOString()} · ${trace.status} · ${trace.steps} steps · ${usd(trace.cost_usd)} · ${trace.input_tokens} in / ${trace.output_tokens} out tokens${trace.ended_at ? ` · ${ms(trace.ended_at - trace.started_at)}` : ''}`,
  );
  if (trace.dropped_spans > 0) out.push(`Note: ${trace.dropped_spans} spans were dropped under load; the timeline is partial.`);
  if (ra[ATTR.RUN_INPUT] !== undefined) out.push(`Input: ${oneLine(ra[ATTR.RUN_INPUT], max)}`);
  out.push('');

  const render = (span: StoredSpan, depth: number): void => {
    const pad = '  '.repeat(depth);
    const offset = `+${ms(span.startedAt - trace.started_at)}`;
    let lines: string[];
    switch (span.kind) {
      case 'step':
        lines = [`${span.name.replace(/^step/, 'Step')} ${offset} · ${duration(span)}${span.status === 'ok' ? '' : ` · ${span.status}`}`];
        break;
      case 'model':
        lines = describeModel(span, max);
        break;
      case 'tool':
        lines = describeTool(span, max);
        break;
      case 'check':
        lines = describeCheck(span, max);
        break;
      default:
        lines = span === root ? [] : [`${span.kind} ${span.name} · ${duration(span)}${span.status === 'ok' ? '' : ` · ${span.status}`}`];
    }
    for (const line of lines) out.push(pad + line);
    const innerPad = span === root ? pad : `${pad}  `;
    // Child spans and this span's events, in the order they happened.
    const items: { at: number; show: () => void }[] = [
      ...(children.get(span.id) ?? []).map((kid) => ({ at: kid.startedAt, show: () => render(kid, span === root ? depth : depth + 1) })),
      ...span.events.map((event) => ({
        at: event.at,
        show: () => {
          const text = describeEvent(event, max);
          if (text) out.push(`${innerPad}! ${text}`);
        },
      })),
    ];
    for (const item of items.sort((x, y) => x.at - y.at)) item.show();
  };
  for (const r of roots) render(r, 0);
  // Spans whose parent was dropped or never ended still belong in the picture.
  const known = new Set(spans.map((s) => s.id));
  for (const orphan of spans.filter((s) => s.parentId !== null && !known.has(s.parentId))) render(orphan, 1);

  out.push('');
  const reason = trace.stop_reason ?? (trace.status === 'running' ? 'still running' : trace.status);
  const detail = ra[ATTR.STOP_DETAIL] ?? root?.error?.message;
  out.push(`Stopped: ${reason}${detail ? ` — ${oneLine(detail, max)}` : ''}`);
  if (trace.status === 'interrupted') out.push('The process writing this run died mid-run; the steps above are those it completed.');
  if (ra[ATTR.RUN_OUTPUT] !== undefined) out.push(`Output: ${oneLine(ra[ATTR.RUN_OUTPUT], max)}`);
  return out.join('\n');
}
