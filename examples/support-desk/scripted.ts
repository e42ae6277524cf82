/**
 * The support desk's scripted model: what answers when no real model is configured, so the
 * example runs with no key. It is a script, not a model: it calls the CRM when the question
 * names an order, searches the knowledge base, and composes its answer from the order record
 * and the top passage, quoted verbatim — it understands nothing and invents nothing.
 * It also stands in for the LLM judges of the groundedness and relevance checks (the local
 * pre-check settles the clear cases before they are asked). `--model openai:gpt-4o-mini`
 * replaces all of it with a real model.
 */
import { scriptedModel, textOf, unwrapUntrusted, type Message, type ModelRequest, type ScriptedProvider, type ScriptedReply } from '../../src/index.js';
import type { CrmLookupOutput } from './crm.js';
import { describeOrder } from './crm.js';
import type { RetrievalOutput } from '../../src/knowledge/index.js';

export const SCRIPTED_MODEL = 'scripted:support-desk';

/** Scripted calls are priced like gpt-4o-mini (USD per million tokens), so costs and budgets show what the same tokens would cost there. */
export const SCRIPTED_PRICES = { 'support-desk': { input: 0.15, output: 0.6, note: 'scripted model, priced like gpt-4o-mini' } };

const ORDER_NUMBER = /\b(1\d{3})\b/;

interface SupportAnswer {
  answer: string;
  citations: string[];
  handoff: boolean;
}

function json(answer: SupportAnswer): ScriptedReply {
  return { text: JSON.stringify(answer) };
}

/** The messages of the current run: everything after the last user message that is a question (not a check's re-ask). */
function currentTurn(messages: Message[]): { question: string; after: Message[] } {
  let index = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role === 'user' && !textOf(m.content).startsWith('Your previous answer failed') && !textOf(m.content).startsWith('Your answer is not valid')) {
      index = i;
      break;
    }
  }
  return { question: index >= 0 ? textOf(messages[index].content) : '', after: messages.slice(index + 1) };
}

function toolOutputs<T>(after: Message[], name: string): T[] {
  return after.flatMap((m) => {
    if (m.role !== 'tool' || m.name !== name || m.isError) return [];
    try {
      return [JSON.parse(unwrapUntrusted(textOf(m.content))) as T];
    } catch {
      return [];
    }
  });
}

/** The first sentences of a passage, up to about 300 characters: short enough to read, verbatim so it stays grounded. */
function lead(text: string): string {
  const sentences = text.replace(/^[-*]\s+/gm, '').split(/(?<=[.!?])\s+/);
  let out = '';
  for (const s of sentences) {
    if (out && out.length + s.length > 300) break;
    out = out ? `${out} ${s}` : s;
  }
  return out.replace(/\s*\n\s*/g, ' ');
}

function answerFromTools(question: string, after: Message[]): ScriptedReply {
  const orders = toolOutputs<CrmLookupOutput>(after, 'crm_lookup').flatMap((o) => o.orders);
  const passages = toolOutputs<RetrievalOutput>(after, 'search_knowledge_base').flatMap((r) => r.passages);
  const orderNumber = ORDER_NUMBER.exec(question)?.[1];
  if (orderNumber && orders.length === 0) {
    return json({
      answer: `I could not find order ${orderNumber} in our records. I am handing this to a colleague who can check it with you.`,
      citations: [],
      handoff: true,
    });
  }
  const top = passages[0];
  if (orders.length > 0) {
    const o = orders[0];
    const facts =
      o.status === 'shipped' || o.status === 'delayed'
        ? `Your order ${o.order_id} is ${o.status}: it is with ${o.carrier} (tracking number ${o.tracking_number}), estimated delivery ${o.estimated_delivery}.`
        : `Your order ${o.order_id}: ${describeOrder(o).split('. ').slice(0, 3).join('. ').replace(/\.?$/, '.')}`;
    const help = top ? ` ${lead(top.text)}` : '';
    return json({ answer: `${facts}${help}`, citations: [`crm:order:${o.order_id}`, ...(top ? [top.id] : [])], handoff: false });
  }
  if (!top) {
    return json({ answer: 'I could not find this in our help center. I am handing your question to a colleague.', citations: [], handoff: true });
  }
  return json({ answer: lead(top.text), citations: [top.id], handoff: false });
}

/** A stand-in judge: yes unless the answer states a number the documents do not hold (groundedness) or shares no word with the question (relevance). */
function judge(request: ModelRequest): ScriptedReply {
  const system = textOf(request.messages[0]?.content ?? '');
  const prompt = textOf(request.messages[request.messages.length - 1]?.content ?? '');
  const section = (name: string) => new RegExp(`${name}:\\n([\\s\\S]*?)(?:\\n\\n[A-Z][a-z]+:\\n|\\n\\n(?:Is|Does) |$)`).exec(prompt)?.[1] ?? '';
  const answer = section('Answer');
  if (system.includes('grounded')) {
    const documents = section('Documents');
    const invented = (answer.match(/\d[\d,.]*/g) ?? []).filter((n) => !documents.includes(n.replace(/[.,]$/, '')));
    return {
      text: JSON.stringify(
        invented.length
          ? { reason: `scripted judge: the numbers ${invented.join(', ')} are not in the documents`, verdict: 'no' }
          : { reason: 'scripted judge: every number and name of the answer is in the documents', verdict: 'yes' },
      ),
    };
  }
  const words = (text: string) => new Set((text.toLowerCase().match(/[a-z]{4,}|\d+/g) ?? []).map((w) => w.replace(/s$/, '')));
  const asked = words(section('Question'));
  const shared = [...words(answer)].filter((w) => asked.has(w));
  return {
    text: JSON.stringify(
      shared.length
        ? { reason: `scripted judge: the answer speaks of ${shared.slice(0, 3).join(', ')}, as asked`, verdict: 'yes' }
        : { reason: 'scripted judge: the answer shares nothing with the question', verdict: 'no' },
    ),
  };
}

/** The scripted conversation as a function of the request. */
export function supportDeskReply(request: ModelRequest): ScriptedReply {
  if (isJudgeRequest(request)) return judge(request);
  const { question, after } = currentTurn(request.messages);
  const calledTools = after.some((m) => m.role === 'assistant' && (m.toolCalls?.length ?? 0) > 0);
  if (!calledTools) {
    const orderNumber = ORDER_NUMBER.exec(question)?.[1];
    const search = { name: 'search_knowledge_base', arguments: { query: orderNumber ? 'where is my order tracking shipped' : question } };
    return {
      text: orderNumber ? `Looking up order ${orderNumber} and the help center.` : 'Searching the help center.',
      toolCalls: orderNumber ? [{ name: 'crm_lookup', arguments: { order_id: Number(orderNumber) } }, search] : [search],
    };
  }
  // After a check's re-ask the same composition comes back: it only quotes its sources.
  return answerFromTools(question, after);
}

function isJudgeRequest(request: ModelRequest): boolean {
  return request.responseFormat?.type === 'json_schema' && request.responseFormat.name === 'verdict';
}

/** A scripted conversation from a list of replies (for tests), with judge calls answered by the stand-in judge. */
export function scriptedConversation(replies: ScriptedReply[]): ScriptedProvider & { conversationCalls(): number } {
  let next = 0;
  const model = scriptedModel({
    name: 'scripted',
    replies: (request) => {
      if (isJudgeRequest(request)) return judge(request);
      const reply = replies[next++];
      return reply ?? { error: { code: 'UPSTREAM_BAD_RESPONSE', message: `the scripted conversation has ${replies.length} replies; call ${next} has none` } };
    },
  });
  return Object.assign(model, { conversationCalls: () => model.requests.filter((r) => !isJudgeRequest(r)).length });
}

export function supportDeskScriptedModel(): ScriptedProvider {
  return scriptedModel({ name: 'scripted', replies: (request) => supportDeskReply(request) });
}
