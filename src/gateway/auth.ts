import type { AccessRequest } from '../security/scopes.js';
import type { Identity } from '../security/keys.js';

/** The gateway's authentication slot: the key store's authenticate plus the scope check. */
export interface GatewayAuth {
  /** Refuse /v1 calls that carry no key. When false, a call with a virtual key is still attributed to it. */
  required: boolean;
  /** `Authorization` header → identity; throws UNAUTHORIZED. */
  authenticate(authorization: string | undefined): Promise<Identity>;
  /** Throws FORBIDDEN when the identity may not make this call. */
  authorize(identity: Identity, access: AccessRequest): void;
}

/** Virtual keys start with this; other bearer tokens (an OpenAI client's placeholder key) are ignored when auth is optional. */
const VIRTUAL_KEY = /^Bearer\s+sk-sx-/i;

/** Who is calling, or undefined for an anonymous call when keys are optional. */
export async function identify(auth: GatewayAuth | undefined, authorization: string | undefined): Promise<Identity | undefined> {
  if (!auth) return undefined;
  if (!auth.required && !(authorization && VIRTUAL_KEY.test(authorization))) return undefined;
  return auth.authenticate(authorization);
}
