/**
 * TEST ONLY: an in-memory NodeRuntime for the device agent's tests. It does no networking; it records every call
 * in order, lets a test hold any call at a gate (to look at the LED while the agent waits in a state), fail it,
 * and set what status() reports (promotion, problems, earnings) and what ledger() reads (a test builds it from a
 * real ledger, test/support/ledger-chain.ts). stop() rejects calls held at a gate, as the real
 * runtime's pending connect() must.
 */
import type { LedgerSnapshot, NodeRuntime, NodeRuntimeFactory, RuntimeContext, RuntimeStatus } from '../../device/index.ts';

export type GatedCall = 'connect' | 'register' | 'serve' | 'gracefulExit';

export interface Gate {
  /** Resolves once the call has reached the gate. */
  readonly reached: Promise<void>;
  release(): void;
  fail(error: Error): void;
}

interface PendingGate extends Gate {
  readonly call: GatedCall;
  arrive(): Promise<void>;
  cancel(error: Error): void;
}

const ABC = (micro: bigint) => ({ unit: 'ABC' as const, micro });

export class InMemoryRuntime implements NodeRuntime {
  readonly context: RuntimeContext;
  readonly #owner: InMemoryRuntimes;
  #status: RuntimeStatus;
  #stopped = false;

  constructor(context: RuntimeContext, owner: InMemoryRuntimes) {
    this.context = context;
    this.#owner = owner;
    this.#status = {
      role: 'none',
      peerId: context.identity.peerId,
      walletAddress: null,
      registered: false,
      promoted: false,
      connectedPeers: 0,
      balance: null,
      earnings: { servedRequests: 0, receiptsHeld: 0, unsettled: ABC(0n), settled: ABC(0n) },
      problems: [],
    };
  }

  /** Changes what status() reports from now on. */
  set(changes: Partial<RuntimeStatus>): void {
    this.#status = { ...this.#status, ...changes };
  }

  async #call(call: GatedCall): Promise<void> {
    if (this.#stopped) throw new Error(`${call} after stop`);
    this.#owner.calls.push(call);
    await this.#owner.passGate(call);
    if (this.#stopped) throw new Error(`${call} interrupted by stop`);
  }

  async connect(): Promise<void> {
    await this.#call('connect');
    this.set({ connectedPeers: 3, balance: ABC(0n) });
  }

  async register(): Promise<void> {
    await this.#call('register');
    this.set({ registered: true, role: 'temporary-worker', walletAddress: this.context.payout.address });
  }

  async serve(): Promise<void> {
    await this.#call('serve');
  }

  async status(): Promise<RuntimeStatus> {
    if (this.#owner.statusFailure) throw this.#owner.statusFailure;
    return this.#status;
  }

  /** The owner's `ledgerSnapshot` (undefined: not read yet). */
  async ledger(): Promise<LedgerSnapshot | undefined> {
    return this.#owner.ledgerSnapshot;
  }

  async gracefulExit(): Promise<void> {
    await this.#call('gracefulExit');
    this.set({ registered: false, role: 'none' });
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#owner.calls.push('stop');
    this.#owner.cancelGates(new Error('runtime stopped'));
  }

  preServingChecks = () => this.#owner.preServingChecks;
}

/** The factory the agent gets, and the test's handle on every runtime it built. */
export class InMemoryRuntimes {
  readonly built: InMemoryRuntime[] = [];
  /** Every call on every runtime, in order: connect, register, serve, gracefulExit, stop. */
  readonly calls: string[] = [];
  preServingChecks: ReturnType<NonNullable<NodeRuntime['preServingChecks']>> = [];
  /** When set, status() rejects with it (a wedged node, for the supervisor). */
  statusFailure: Error | null = null;
  /** What every runtime's ledger() answers. */
  ledgerSnapshot: LedgerSnapshot | undefined = undefined;
  readonly #gates: PendingGate[] = [];
  readonly #waiting = new Set<PendingGate>();
  readonly #builtWaiters: (() => void)[] = [];

  readonly factory: NodeRuntimeFactory = (context) => {
    const runtime = new InMemoryRuntime(context, this);
    this.built.push(runtime);
    for (const w of this.#builtWaiters.splice(0)) w();
    return runtime;
  };

  /** The runtime built last. */
  current(): InMemoryRuntime {
    const runtime = this.built[this.built.length - 1];
    if (!runtime) throw new Error('no runtime was built yet');
    return runtime;
  }

  /** Resolves once `count` runtimes have been built. */
  async whenBuilt(count: number): Promise<InMemoryRuntime> {
    while (this.built.length < count) await new Promise<void>((resolve) => this.#builtWaiters.push(resolve));
    return this.built[count - 1]!;
  }

  /** The next `call` (on any runtime) waits at this gate until released or failed. */
  gate(call: GatedCall): Gate {
    let arrived!: () => void;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    let settle!: { resolve: () => void; reject: (e: Error) => void };
    const passed = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    // A gate failed before its call arrives is not an unhandled rejection: the call sees it when it arrives.
    passed.catch(() => {});
    const gate: PendingGate = {
      call,
      reached,
      release: () => settle.resolve(),
      fail: (error) => settle.reject(error),
      cancel: (error) => settle.reject(error),
      arrive: () => {
        arrived();
        return passed;
      },
    };
    this.#gates.push(gate);
    return gate;
  }

  /** @internal */
  async passGate(call: GatedCall): Promise<void> {
    const i = this.#gates.findIndex((g) => g.call === call);
    if (i < 0) return;
    const gate = this.#gates.splice(i, 1)[0]!;
    this.#waiting.add(gate);
    try {
      await gate.arrive();
    } finally {
      this.#waiting.delete(gate);
    }
  }

  /** @internal */
  cancelGates(error: Error): void {
    // Only gates already reached hold calls of the stopped runtime; unreached ones wait for the next runtime.
    for (const gate of this.#waiting) gate.cancel(error);
  }
}
