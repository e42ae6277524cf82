import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.js';
import type { ApprovalDecision, PendingApproval } from './types.js';

/** The hash an approval is bound to: the tool and its exact input, keys sorted. */
export function argsHash(toolName: string, input: unknown): string {
  return createHash('sha256')
    .update(`${toolName}\n${canonicalJson(input)}`)
    .digest('hex');
}

/** Approves a pending call, bound to the exact arguments it was shown with. */
export function approve(pending: PendingApproval): ApprovalDecision {
  return { toolCallId: pending.toolCallId, argsHash: pending.argsHash, approved: true };
}

/** Rejects a pending call; the reason is told to the model. */
export function reject(pending: PendingApproval, reason?: string): ApprovalDecision {
  return { toolCallId: pending.toolCallId, argsHash: pending.argsHash, approved: false, ...(reason ? { reason } : {}) };
}
