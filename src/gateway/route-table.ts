import { SextantError } from '../errors.js';
import type { GatewayConfig, Target } from './config.js';

/** Where one requested model goes: targets in the order to try them (the weighted pick first, then fallbacks). */
export interface ResolvedRoute {
  /** What the client asked for. */
  requested: string;
  targets: Target[];
}

export interface RouteTable {
  resolve(model: string): ResolvedRoute;
  /** Every model id a client may ask for: aliases, then providers' listed models. */
  models(): { id: string; ownedBy: string }[];
}

export interface RouteTableOptions {
  config: GatewayConfig;
  /** Source of randomness for the weighted pick; Math.random by default. */
  random?: () => number;
}

/** Picks a target with probability proportional to its weight, and puts it first. */
function orderByWeight(targets: Target[], random: () => number): Target[] {
  if (targets.length === 1) return targets;
  const total = targets.reduce((sum, t) => sum + t.weight, 0);
  let point = random() * total;
  const index = targets.findIndex((t) => (point -= t.weight) < 0);
  const picked = index === -1 ? targets.length - 1 : index;
  return [targets[picked], ...targets.filter((_, i) => i !== picked)];
}

export function createRouteTable({ config, random = Math.random }: RouteTableOptions): RouteTable {
  const providers = Object.entries(config.providers);
  const list = () => [
    ...Object.keys(config.models).map((id) => ({ id, ownedBy: 'sextant' })),
    ...providers.flatMap(([name, p]) => (p.models ?? []).map((id) => ({ id, ownedBy: name }))),
  ];
  return {
    resolve(model) {
      const route = config.models[model];
      if (route) return { requested: model, targets: [...orderByWeight(route.targets, random), ...route.fallbacks] };
      const colon = model.indexOf(':');
      if (colon > 0 && config.providers[model.slice(0, colon)]) return { requested: model, targets: [{ model, weight: 1 }] };
      for (const [name, p] of providers) {
        if (p.models?.includes(model) || p.modelPrefixes?.some((prefix) => model.startsWith(prefix))) {
          return { requested: model, targets: [{ model: `${name}:${model}`, weight: 1 }] };
        }
      }
      const available = list().map((m) => m.id);
      throw new SextantError('UNKNOWN_MODEL', `The model "${model}" does not exist on this gateway. Available models: ${available.join(', ') || 'none'}`, {
        context: { param: 'model', model, available },
      });
    },
    models: list,
  };
}
