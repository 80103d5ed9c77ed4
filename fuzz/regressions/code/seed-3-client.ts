import { request } from "./http";

/** Options accepted when a job is enqueued. */
export interface JobOptions {
  /** Seconds to wait before the first attempt. */
  delay?: number;
  /** How many times a failing job is retried. */
  attempts?: number;
}

/**
 * Adds one job to a queue over the Lanternfish HTTP API.
 *
 * @param queue the queue name
 * @param payload any JSON-serialisable value
 * @example
 * const id = await enqueueJob("emails", { to: "a@example.com" }, { attempts: 5 });
 */
export async function enqueueJob(queue: string, payload: unknown, options: JobOptions = {}): Promise<string> {
  const res = await request("POST", `/queues/${queue}/jobs`, { payload, ...options });
  return res.id;
}

/** A client bound to one Lanternfish server. */
export class LanternfishClient {
  constructor(private readonly baseUrl: string) {}

  /**
   * Cancels a job that has not started yet. A job already running is left
   * to finish; the returned promise resolves to false in that case.
   */
  async cancelJob(jobId: string): Promise<boolean> {
    const res = await request("DELETE", `${this.baseUrl}/jobs/${jobId}`);
    return res.cancelled;
  }

  /** Internal: refreshes the auth token. */
  private async refresh(): Promise<void> {}
}

function backoffMs(attempt: number): number {
  return 2 ** attempt * 100;
}
