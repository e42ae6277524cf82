import type { StreamEvent } from '../model/types.js';
import type { CallContext, Terminal } from '../pipeline/middleware.js';

const UPSTREAM_MS = 'gateway.upstreamMs';

function addUpstream(context: CallContext, ms: number): number {
  const total = ((context.state.get(UPSTREAM_MS) as number | undefined) ?? 0) + ms;
  context.state.set(UPSTREAM_MS, total);
  return total;
}

/**
 * Wraps the provider router to measure the time spent waiting on upstreams, over every attempt
 * of a call (retries and fallbacks), recorded as `meta.upstreamMs`: the gateway reports its own
 * overhead as total time minus this. For streams only the waits for the upstream's next event
 * count, not the time the gateway spends writing each event to its client. (Targets' own
 * timeouts are the pipeline's attempt-timeout stage, `timeouts.perTargetMs`.)
 */
export function measureUpstreamTime(terminal: Terminal): Terminal {
  async function* timedStream(events: AsyncIterable<StreamEvent>, context: CallContext): AsyncGenerator<StreamEvent> {
    const iterator = events[Symbol.asyncIterator]();
    let finished = false;
    try {
      for (;;) {
        const began = performance.now();
        let step: IteratorResult<StreamEvent>;
        try {
          step = await iterator.next();
        } finally {
          addUpstream(context, performance.now() - began);
        }
        if (step.done) {
          finished = true;
          return;
        }
        const event = step.value;
        if (event.type === 'finish') event.response.meta.upstreamMs = context.state.get(UPSTREAM_MS);
        yield event;
      }
    } finally {
      if (!finished) await iterator.return?.();
    }
  }

  return {
    async generate(request, context) {
      const began = performance.now();
      try {
        const response = await terminal.generate(request, context);
        response.meta.upstreamMs = addUpstream(context, performance.now() - began);
        return response;
      } catch (error) {
        addUpstream(context, performance.now() - began);
        throw error;
      }
    },
    stream: (request, context) => timedStream(terminal.stream(request, context), context),
    async embed(request, context) {
      const began = performance.now();
      try {
        const response = await terminal.embed(request, context);
        response.meta.upstreamMs = addUpstream(context, performance.now() - began);
        return response;
      } catch (error) {
        addUpstream(context, performance.now() - began);
        throw error;
      }
    },
  };
}
