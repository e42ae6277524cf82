import { textOf, type Message, type ToolCall, type ToolMessage } from '../../model/types.js';
import type { CheckDocument } from '../../checks/types.js';
import type { Tool } from '../../tools/define-tool.js';
import { wrapUntrusted } from '../../security/injection.js';
import type { RunState, ToolResultRecord } from '../types.js';

/** The user's question: recorded at the run's start; the last user message for states saved before that. */
export function questionOf(state: RunState): string {
  return state.question ?? lastUserText(state.messages);
}

export function lastUserText(messages: readonly Message[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role === 'user') return textOf(m.content);
  }
  return '';
}

export function lastAssistantText(messages: readonly Message[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role === 'assistant' && m.content) return textOf(m.content);
  }
  return '';
}

/** The tool message the model is given: an untrusted tool's text inside untrusted-content markers (a blocked result's note is the runtime's own). */
export function toolMessage(result: ToolResultRecord): ToolMessage {
  const content = result.injection && result.injection.action !== 'block' ? wrapUntrusted(result.content, { source: `tool ${result.name}` }) : result.content;
  return { role: 'tool', toolCallId: result.toolCallId, name: result.name, content, ...(result.isError ? { isError: true } : {}) };
}

/** A tool result the runtime writes itself (unknown tool, bad arguments, a limit, a rejection). */
export function errorResult(call: ToolCall, input: unknown, code: string, message: string): ToolResultRecord {
  return { toolCallId: call.id, name: call.name, input, content: `Error (${code}): ${message}`, isError: true, attempts: 0, durationMs: 0 };
}

/** Tool messages that close the pending step's calls: done ones with their results, the rest as not run, saying why. */
export function closingToolMessages(state: RunState, notRun: string): ToolMessage[] {
  if (!state.pending) return [];
  const { results, message } = state.pending;
  return (message.toolCalls ?? []).map((call) => {
    const done = results.find((r) => r.toolCallId === call.id);
    return done ? toolMessage(done) : { role: 'tool', toolCallId: call.id, name: call.name, content: notRun, isError: true };
  });
}

/**
 * Tool results the run has seen so far, as check documents and decision sources. A tool that
 * says which passages its output holds (a retrieval tool) contributes those, by source id.
 */
export function documentsOf(state: RunState, tools: Map<string, Tool>): CheckDocument[] {
  const docs: CheckDocument[] = [];
  for (const step of state.steps) {
    for (const r of step.toolResults) {
      if (r.isError) continue;
      const passages = tools.get(r.name)?.documents?.(r.output);
      if (passages) for (const p of passages) docs.push({ ...p, kind: 'retrieval', metadata: { ...p.metadata, tool: r.name, toolCallId: r.toolCallId } });
      else docs.push({ id: r.toolCallId, text: r.content, kind: 'tool-result', metadata: { tool: r.name } });
    }
  }
  return docs;
}
