/**
 * A step slider shared by the media cards: a range input over the indices of the steps that
 * have data, with the step and its time shown next to it. Arrow keys move it when the card
 * (not only the input) has focus, as in TensorBoard.
 */

/** The index in `steps` (sorted) closest to `step`; -1 for no steps. */
export function nearestIndex(steps: ArrayLike<number>, step: number): number {
  const n = steps.length;
  if (n === 0) return -1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (steps[mid] < step) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(steps[lo - 1] - step) <= Math.abs(steps[lo] - step)) return lo - 1;
  return lo;
}

/** Index after an arrow key: Left/Down = previous, Right/Up = next, Home/End = ends. */
export function keyStep(index: number, n: number, key: string): number {
  if (n <= 0) return -1;
  switch (key) {
    case "ArrowLeft":
    case "ArrowDown":
      return Math.max(index - 1, 0);
    case "ArrowRight":
    case "ArrowUp":
      return Math.min(index + 1, n - 1);
    case "Home":
      return 0;
    case "End":
      return n - 1;
    default:
      return index;
  }
}

export function formatTime(wall: number): string {
  if (!Number.isFinite(wall)) return "";
  const d = new Date(wall * 1000);
  const pad = (x: number) => String(x).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export class StepSlider {
  readonly el: HTMLDivElement;
  readonly input: HTMLInputElement;
  private label: HTMLSpanElement;
  private time: HTMLSpanElement;
  steps: number[] = [];
  walls: number[] = [];
  index = -1;

  constructor(private onChange: (index: number) => void) {
    this.el = document.createElement("div");
    this.el.className = "nbtb-step-slider";
    this.input = document.createElement("input");
    this.input.type = "range";
    this.input.min = "0";
    this.input.step = "1";
    this.input.dataset.testid = "step-slider";
    this.input.setAttribute("aria-label", "Step");
    this.label = document.createElement("span");
    this.label.className = "nbtb-step-label";
    this.label.dataset.testid = "step-label";
    this.time = document.createElement("span");
    this.time.className = "nbtb-step-time";
    this.el.append(this.label, this.time, this.input);
    this.input.addEventListener("input", () => this.set(parseInt(this.input.value, 10), true));
  }

  /** Handles arrow keys for a whole card; returns true when the key was used. */
  key(e: KeyboardEvent): boolean {
    if (e.target === this.input) return false; // the range input moves itself
    const next = keyStep(this.index, this.steps.length, e.key);
    if (next === this.index || next < 0) return false;
    e.preventDefault();
    this.set(next, true);
    return true;
  }

  setSteps(steps: number[], walls: number[], index: number): void {
    this.steps = steps;
    this.walls = walls;
    this.input.max = String(Math.max(steps.length - 1, 0));
    this.input.disabled = steps.length <= 1;
    this.set(index, false);
  }

  set(index: number, notify: boolean): void {
    const n = this.steps.length;
    const i = n === 0 ? -1 : Math.min(Math.max(Number.isFinite(index) ? index : n - 1, 0), n - 1);
    const changed = i !== this.index;
    this.index = i;
    this.input.value = String(Math.max(i, 0));
    this.label.textContent = i < 0 ? "" : `step ${this.steps[i]}`;
    this.el.dataset.step = i < 0 ? "" : String(this.steps[i]);
    this.time.textContent = i < 0 ? "" : formatTime(this.walls[i]);
    if (notify && changed) this.onChange(i);
  }

  get step(): number | null {
    return this.index < 0 ? null : this.steps[this.index];
  }
}
