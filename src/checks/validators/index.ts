/** Validators: JSON, zod schema, regex, length, a custom predicate, citations — each also a check. */
export type { ValidatorCheckOptions } from './options.js';
export { jsonCheck, schemaCheck, validateJson, validateSchema, parseJsonAnswer } from './json.js';
export {
  regexCheck,
  lengthCheck,
  predicateCheck,
  validateRegex,
  validateLength,
  type RegexCheckOptions,
  type LengthCheckOptions,
  type PredicateCheckOptions,
} from './text.js';
export { citationCheck, validateCitations, extractCitations, DEFAULT_CITATION_PATTERN, type CitationOptions } from './citations.js';
