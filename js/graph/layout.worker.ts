/**
 * Entry of the layout bundle (build.mjs bundles it on its own, with dagre, into a string that the
 * dashboard bundle carries): loaded from a Blob URL as a module Worker, or, where a host forbids
 * workers, imported from the same Blob URL on the main thread (anywidget itself loads the widget
 * that way, so it works wherever the dashboard does).
 */
import { type Job, type JobResult, runJobs } from "./layoutcore";

export { runJobs };

declare const WorkerGlobalScope: { new (): unknown } | undefined;

if (typeof WorkerGlobalScope !== "undefined" && typeof self !== "undefined" && self instanceof (WorkerGlobalScope as unknown as typeof Object)) {
  self.onmessage = (ev: MessageEvent<{ seq: number; jobs: Job[]; known: Record<string, JobResult> }>) => {
    const { seq, jobs, known } = ev.data;
    try {
      const t0 = performance.now();
      const results = runJobs(jobs, known);
      (self as unknown as Worker).postMessage({ seq, results, ms: performance.now() - t0 });
    } catch (err) {
      (self as unknown as Worker).postMessage({ seq, error: String(err) });
    }
  };
}
