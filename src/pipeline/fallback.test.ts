import { describe, expect, it } from 'vitest';
import { SextantError } from '../errors.js';
import type { ModelRequest, ModelResponse } from '../model/types.js';
import { drain, response, scriptedTerminal, upstream } from '../../test/support/pipeline-terminal.js';
import { circuitBreaker, createCircuitBreaker } from './circuit-breaker.js';
import { fallback, type FallbackEvent } from './fallback.js';
import { compose, type Terminal } from './middleware.js';
import { retry } from './retry.js';

const request: ModelRequest = { model: 'openai:gpt-4o', messages: [{ role: 'user', content: 'hi' }] };
const targets = { 'openai:gpt-4o': ['anthropic:claude-sonnet-4-5', 'openai:gpt-4o-mini'] };

/** A terminal whose answer depends on the target: an error, or a reply naming the target. */
function byTarget(failing: Record<string, () => SextantError>, afterEvents = 0): Terminal & { seen: string[] } {
  const seen: string[] = [];
  const base = scriptedTerminal([{ text: '' }]);
  return {
    seen,
    async generate(req) {
      seen.push(req.model);
      const fail = failing[req.model];
      if (fail) throw fail();
      return response(`from ${req.model}`, req.model);
    },
    stream(req, context) {
      seen.push(req.model);
      const fail = failing[req.model];
      return scriptedTerminal([fail ? { error: fail(), afterEvents } : { text: `from ${req.model}` }]).stream(req, context);
    },
    embed: base.embed,
  };
}

describe('fallback', () => {
  it('tries targets in order and records which answered and which failed', async () => {
    const terminal = byTarget({ 'openai:gpt-4o': upstream.serverError, 'anthropic:claude-sonnet-4-5': upstream.rateLimited });
    const events: FallbackEvent[] = [];
    const result = await compose([fallback({ targets, onFallback: (e) => events.push(e) })], terminal).generate(request);
    expect(result.message.content).toBe('from openai:gpt-4o-mini');
    expect(terminal.seen).toEqual(['openai:gpt-4o', 'anthropic:claude-sonnet-4-5', 'openai:gpt-4o-mini']);
    expect(result.meta.target).toBe('openai:gpt-4o-mini');
    expect(result.meta.attempts).toBe(3);
    expect(result.meta.fallbacks).toEqual([
      expect.objectContaining({ target: 'openai:gpt-4o', code: 'UPSTREAM_ERROR', status: 503 }),
      expect.objectContaining({ target: 'anthropic:claude-sonnet-4-5', code: 'UPSTREAM_RATE_LIMITED' }),
    ]);
    expect(events.map((e) => `${e.from}>${e.to}`)).toEqual(['openai:gpt-4o>anthropic:claude-sonnet-4-5', 'anthropic:claude-sonnet-4-5>openai:gpt-4o-mini']);
  });

  it('does not fall back on errors outside its classes: a bad request goes up as it is', async () => {
    const terminal = byTarget({ 'openai:gpt-4o': upstream.badRequest });
    await expect(compose([fallback({ targets })], terminal).generate(request)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(terminal.seen).toEqual(['openai:gpt-4o']);
  });

  it('falls back on exactly the codes given in `on`', async () => {
    const terminal = byTarget({ 'openai:gpt-4o': upstream.badRequest });
    const result = await compose([fallback({ targets, on: ['INVALID_REQUEST'] })], terminal).generate(request);
    expect(result.meta.target).toBe('anthropic:claude-sonnet-4-5');
    const strict = byTarget({ 'openai:gpt-4o': upstream.serverError });
    await expect(compose([fallback({ targets, on: ['INVALID_REQUEST'] })], strict).generate(request)).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
  });

  it('fails with ALL_TARGETS_FAILED carrying every target error', async () => {
    const terminal = byTarget({
      'openai:gpt-4o': upstream.serverError,
      'anthropic:claude-sonnet-4-5': upstream.network,
      'openai:gpt-4o-mini': () => upstream.rateLimited(2_000),
    });
    const error = await compose([fallback({ targets })], terminal)
      .generate(request)
      .catch((e) => e);
    expect(error.code).toBe('ALL_TARGETS_FAILED');
    expect(error.context.targets.map((t: { target: string; code: string }) => `${t.target}:${t.code}`)).toEqual([
      'openai:gpt-4o:UPSTREAM_ERROR',
      'anthropic:claude-sonnet-4-5:NETWORK_ERROR',
      'openai:gpt-4o-mini:UPSTREAM_RATE_LIMITED',
    ]);
    // Not every target said when to come back: no advice.
    expect(error.retryAfterMs).toBeUndefined();
  });

  it('skips targets whose circuit is open, and reports CIRCUIT_OPEN when nothing is left', async () => {
    const breaker = createCircuitBreaker({ failureThreshold: 1, coolDownMs: 60_000 });
    const terminal = byTarget({
      'openai:gpt-4o': upstream.serverError,
      'anthropic:claude-sonnet-4-5': upstream.serverError,
      'openai:gpt-4o-mini': upstream.serverError,
    });
    const model = compose([fallback({ targets, breaker }), circuitBreaker({ breaker })], terminal);
    await expect(model.generate(request)).rejects.toMatchObject({ code: 'ALL_TARGETS_FAILED' });
    expect(terminal.seen).toHaveLength(3);
    const error = await model.generate(request).catch((e) => e);
    expect(error.code).toBe('CIRCUIT_OPEN');
    expect(error.context.targets).toHaveLength(3);
    expect(error.context.targets[0]).toMatchObject({ target: 'openai:gpt-4o', skipped: true });
    expect(terminal.seen).toHaveLength(3);
  });

  it('moves to the next target once retries on the first are exhausted (fallback outside retry)', async () => {
    const terminal = byTarget({ 'openai:gpt-4o': upstream.serverError });
    const result = await compose([fallback({ targets }), retry({ maxAttempts: 2, baseDelayMs: 1 })], terminal).generate(request);
    expect(terminal.seen).toEqual(['openai:gpt-4o', 'openai:gpt-4o', 'anthropic:claude-sonnet-4-5']);
    expect(result.meta.attempts).toBe(3);
    expect(result.meta.fallbacks).toEqual([expect.objectContaining({ target: 'openai:gpt-4o', attempts: 2 })]);
  });

  it('takes a per-call chain from controls.fallbacks, and passes a single target straight through', async () => {
    const terminal = byTarget({ 'openai:gpt-4o': upstream.serverError });
    const model = compose([fallback({ targets })], terminal);
    const result = await model.generate(request, { controls: { fallbacks: ['openai:gpt-4o-mini'] } });
    expect(result.meta.target).toBe('openai:gpt-4o-mini');
    await expect(compose([fallback()], terminal).generate(request)).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
  });

  it('falls back on a stream that failed before output, with one start event', async () => {
    const terminal = byTarget({ 'openai:gpt-4o': upstream.serverError }, 1);
    const { events, error } = await drain(compose([fallback({ targets })], terminal).stream(request));
    expect(error).toBeUndefined();
    expect(events.filter((e) => e.type === 'start')).toHaveLength(1);
    const finish = events.at(-1) as { type: 'finish'; response: ModelResponse };
    expect(finish.response.meta.target).toBe('anthropic:claude-sonnet-4-5');
    expect(finish.response.meta.fallbacks).toHaveLength(1);
  });

  it('never falls back once a stream has sent output', async () => {
    const terminal = byTarget({ 'openai:gpt-4o': upstream.serverError }, 2);
    const { events, error } = await drain(compose([fallback({ targets })], terminal).stream(request));
    expect(events.map((e) => e.type)).toEqual(['start', 'text-delta']);
    expect(error?.code).toBe('UPSTREAM_ERROR');
    expect(error?.context).toMatchObject({ outputSent: true, target: 'openai:gpt-4o' });
    expect(terminal.seen).toEqual(['openai:gpt-4o']);
  });

  it('stops when the caller aborted', async () => {
    const controller = new AbortController();
    const terminal: Terminal = {
      ...byTarget({}),
      async generate() {
        controller.abort();
        throw upstream.network();
      },
    };
    await expect(compose([fallback({ targets })], terminal).generate(request, { signal: controller.signal })).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
  });
});
