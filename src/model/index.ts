/** The normalized model layer: types, the Provider interface, providers and pricing. */
export * from './types.js';
export type { Provider, ProviderCallOptions } from './provider.js';
