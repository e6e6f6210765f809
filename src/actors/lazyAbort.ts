/**
 * An abort handle whose AbortController is created only when someone asks for its signal:
 * most steps never look at it, and creating a controller per step is measurable on the hot path.
 * Aborting before the signal exists still yields an aborted signal when it is asked for.
 */
export class LazyAbort {
  private controller: AbortController | undefined;
  private reason: unknown;
  aborted = false;

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}
