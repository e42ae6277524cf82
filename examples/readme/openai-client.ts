import OpenAI from 'openai';

// OpenAI's SDKs (this one, Python's, ...) read OPENAI_BASE_URL and OPENAI_API_KEY, so no code changes:
//   OPENAI_BASE_URL=http://127.0.0.1:8787/v1 OPENAI_API_KEY=sk-sx-... npx tsx examples/readme/openai-client.ts
// (a virtual key from `sextant keys create`; any placeholder while the gateway does not require keys)
const client = new OpenAI();
const { data: reply, response } = await client.chat.completions
  .create({ model: 'scripted', messages: [{ role: 'user', content: 'Hello from the README' }] })
  .withResponse();
console.log(reply.choices[0]?.message.content);
console.log(`cache: ${response.headers.get('x-sextant-cache')}, cost: $${response.headers.get('x-sextant-cost-usd')}`);
