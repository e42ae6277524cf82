/**
 * Model strings arrive in many spellings for one model: `openai:gpt-4o-2024-08-06`,
 * `anthropic/claude-sonnet-4.5` (OpenRouter), `claude-3-5-haiku-latest`. The price and
 * context-window tables are keyed by the bare family name; this turns a model string into
 * the names to look up, most specific first.
 */

/** `-2024-08-06` (OpenAI) or `-20250929` (Anthropic) at the end of a model name. */
const DATE_SUFFIX = /-(\d{4}-\d{2}-\d{2}|\d{8})$/;

/** The model name without its `provider:` prefix or `vendor/` path (OpenRouter), lower-cased. */
export function bareModelName(model: string): string {
  let name = model.trim();
  const colon = name.indexOf(':');
  // `provider:model`; Ollama tags (`ollama:llama3.1:8b`) keep their own colon.
  if (colon !== -1 && !name.startsWith('http')) name = name.slice(colon + 1);
  const slash = name.lastIndexOf('/');
  if (slash !== -1) name = name.slice(slash + 1);
  return name.toLowerCase();
}

/** Candidate lists by model string: prices are looked up several times per call. Bounded, since callers choose the strings. */
const candidatesByModel = new Map<string, readonly string[]>();
const MAX_MEMOIZED_MODELS = 1_000;

/** Names to try in a table keyed by model family, most specific first (dated version before family). */
export function modelNameCandidates(model: string): string[] {
  return [...memoizedCandidates(model)];
}

function memoizedCandidates(model: string): readonly string[] {
  let candidates = candidatesByModel.get(model);
  if (!candidates) {
    candidates = candidatesOf(model);
    if (candidatesByModel.size >= MAX_MEMOIZED_MODELS) candidatesByModel.clear();
    candidatesByModel.set(model, candidates);
  }
  return candidates;
}

function candidatesOf(model: string): string[] {
  const bare = bareModelName(model);
  const out = [bare];
  const add = (name: string) => {
    if (!out.includes(name)) out.push(name);
  };
  // `claude-sonnet-4.5` (OpenRouter spelling) → `claude-sonnet-4-5`.
  if (bare.startsWith('claude')) add(bare.replace(/(\d)\.(\d)/g, '$1-$2'));
  for (const name of [...out]) {
    const undated = name.replace(DATE_SUFFIX, '').replace(/-latest$/, '');
    add(undated);
    // `claude-sonnet-4-0` is Anthropic's alias of `claude-sonnet-4`.
    if (undated.startsWith('claude')) add(undated.replace(/-0$/, ''));
  }
  return out;
}

/** Looks a model up in a table keyed by family name, trying its spellings in order. */
export function lookupModel<T>(table: Readonly<Record<string, T>>, model: string): T | undefined {
  for (const name of memoizedCandidates(model)) {
    if (Object.hasOwn(table, name)) return table[name];
  }
  return undefined;
}
