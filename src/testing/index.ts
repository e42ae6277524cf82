/**
 * `sextant/testing`: stand-ins for LLM providers, so agents can be tested with no network and
 * no API key. The fake upstream is a real HTTP server speaking the OpenAI and Anthropic wire formats.
 */
export { createFakeUpstream, type FakeUpstream, type FakeUpstreamOptions } from './fake-upstream.js';
export {
  fakeEmbedding,
  type FakeApi,
  type FakeFault,
  type FakeReply,
  type FakeRequest,
  type FakeResponse,
  type FakeToolCall,
  type FakeUsage,
} from './fake-reply.js';
export {
  scriptedModel,
  type ScriptedModelOptions,
  type ScriptedProvider,
  type ScriptedReplies,
  type ScriptedReply,
  type ScriptedToolCall,
} from '../model/providers/scripted/provider.js';
