/**
 * A circuit breaker per FHIR server (keyed by its allowed base URL), so that a failing server is
 * not hammered by every hook call while it is down, and hook calls naming it answer at once.
 *
 *   closed     every call goes through; `failures` consecutive failures open the circuit
 *   open       calls fail fast for `cooldownMs`
 *   half-open  after the cool-down one probe call goes through (others still fail fast): a success
 *              closes the circuit, a failure opens it for another cool-down
 *
 * What counts as a failure is the caller's decision (fhir-client.ts: 5xx, timeouts, network errors
 * and bodies that are not FHIR; not 401/403/404, which a working server answers). `neutral` ends a
 * call that says nothing about the server (the hook call's own deadline passed).
 */
export type BreakerDecision = 'pass' | 'probe' | 'reject';
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Consecutive failures that open the circuit; 0 disables the breaker. */
  failures: number;
  cooldownMs: number;
  /** Milliseconds clock (tests). */
  now?: () => number;
}

export interface CircuitBreaker {
  /** Asks to make a call. `probe`: the single half-open trial; report its outcome like any other. */
  acquire(key: string): BreakerDecision;
  success(key: string): void;
  failure(key: string): void;
  /** The call ended without saying anything about the server (releases a probe slot). */
  neutral(key: string): void;
  state(key: string): BreakerState;
  /** Keys whose circuit is not closed (for /health). */
  openKeys(): string[];
}

interface Circuit {
  consecutiveFailures: number;
  /** Set while open / half-open. */
  openedAt?: number;
  probing: boolean;
}

export function createCircuitBreaker(options: BreakerOptions): CircuitBreaker {
  const now = options.now ?? Date.now;
  const circuits = new Map<string, Circuit>();
  const enabled = options.failures > 0;

  const circuitOf = (key: string): Circuit => {
    let circuit = circuits.get(key);
    if (!circuit) {
      circuit = { consecutiveFailures: 0, probing: false };
      circuits.set(key, circuit);
    }
    return circuit;
  };

  const stateOf = (circuit: Circuit | undefined): BreakerState => {
    if (!circuit || circuit.openedAt === undefined) return 'closed';
    return now() - circuit.openedAt >= options.cooldownMs ? 'half-open' : 'open';
  };

  return {
    acquire(key) {
      if (!enabled) return 'pass';
      const circuit = circuitOf(key);
      const state = stateOf(circuit);
      if (state === 'closed') return 'pass';
      if (state === 'open' || circuit.probing) return 'reject';
      circuit.probing = true;
      return 'probe';
    },
    success(key) {
      if (!enabled) return;
      circuits.delete(key);
    },
    failure(key) {
      if (!enabled) return;
      const circuit = circuitOf(key);
      circuit.probing = false;
      circuit.consecutiveFailures += 1;
      // A failed probe, or the threshold reached while closed, (re)opens for a full cool-down.
      if (circuit.openedAt !== undefined || circuit.consecutiveFailures >= options.failures) circuit.openedAt = now();
    },
    neutral(key) {
      const circuit = circuits.get(key);
      if (circuit) circuit.probing = false;
    },
    state: (key) => (enabled ? stateOf(circuits.get(key)) : 'closed'),
    openKeys: () => [...circuits.entries()].filter(([, c]) => stateOf(c) !== 'closed').map(([k]) => k),
  };
}
