/** A check the agent runs: before serving (all must pass) or every supervisor round (by severity). */

export type CheckOutcome = { readonly ok: true; readonly detail?: string } | { readonly ok: false; readonly reason: string };

export interface HealthCheck {
  readonly name: string;
  /**
   * In the supervisor loop: 'fatal' stops the watchdog kicks (the hardware reboots the box: a wedged node or a
   * data dir gone read-only is what a reboot fixes); 'degraded' shows the degraded state and keeps serving.
   * Before serving, every failed check stops the agent in the error state.
   */
  readonly severity: 'fatal' | 'degraded';
  /** Resolves with the outcome; a rejection counts as a failure with its message. */
  run(): Promise<CheckOutcome>;
}

/** Runs a check; a throw becomes a failure, so one broken check cannot take the loop down. */
export async function runCheck(check: HealthCheck): Promise<CheckOutcome> {
  try {
    return await check.run();
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
