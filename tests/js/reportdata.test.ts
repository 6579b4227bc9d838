/**
 * The report's in-page "kernel" (js/reportdata.ts) answers like the real one
 * (nbtb/widgets/dashboard.py _prepare, media.py, histograms.py), from embedded data.
 */
import { describe, expect, it } from "vitest";
import { decodeSeries } from "../../js/protocol";
import { gather, reduceIndices } from "../../js/reduce";
import { answer, csvFilename, csvText, prepare, type ReportData, type Ref, smoothReduced, unpack } from "../../js/reportdata";
import { smooth } from "../../js/smoothing";

function series(n: number) {
  const step = Float64Array.from({ length: n }, (_, i) => i * 10);
  const value = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 7) + (i === 123 ? 50 : 0));
  const wall = Float64Array.from({ length: n }, (_, i) => 1.7e9 + i);
  return { step, wall, value, total: n };
}

function data(n = 2000): ReportData {
  return {
    scalars: new Map([["loss", new Map([["a", series(n)], ["b", series(10)]])]]),
    histograms: new Map(),
    media: new Map(),
    hparams: { columns: [{ name: "lr", type: "hparam" }], rows: [{ run: "a", values: [0.1] }] },
  };
}

const state = new Map<string, unknown>([["smoothing", 0.6]]);

describe("prepare (the kernel's _prepare)", () => {
  it("sends a short series whole and lets the browser smooth it", () => {
    const { header, arrays } = prepare(series(50), 400, 0.6, null, null);
    expect(header).toEqual({ n: 50, total: 50, reduced: false, smoothed: false });
    expect(arrays).toHaveLength(3);
  });

  it("reduces a long series per pixel column, keeping the spike, with the full series' smoothing", () => {
    const s = series(5000);
    const { header, arrays } = prepare(s, 100, 0.9, null, null);
    expect(header.reduced).toBe(true);
    expect(Number(header.n)).toBeLessThanOrEqual(400);
    expect(Math.max(...arrays[2])).toBe(s.value[123]);
    const full = smooth(s.value, 0.9);
    arrays[0].forEach((step, i) => expect(arrays[3][i]).toBe(full[step / 10]));
  });

  it("cuts a zoomed window with one neighbour each side, smoothed as the whole series", () => {
    const s = series(100);
    const { header, arrays } = prepare(s, 400, 0.6, 200, 300);
    expect(arrays[0][0]).toBe(190);
    expect(arrays[0][arrays[0].length - 1]).toBe(310);
    expect(header).toMatchObject({ reduced: false, smoothed: true, n: 13 });
    expect(arrays[3][0]).toBe(smooth(s.value, 0.6)[19]);
  });
});

describe("answer", () => {
  it("answers scalars for the requested runs only, decodable by the browser side", () => {
    const [[msg, bufs]] = answer(data(), { kind: "scalars_request", request_id: 7, tag: "loss", runs: ["b", "nope"], width: 300, smoothing: 0.5, x_min: null, x_max: null }, state);
    expect(msg).toMatchObject({ kind: "scalars_reply", request_id: 7, tag: "loss", part: 0, parts: 1 });
    const decoded = decodeSeries(msg.series as never, bufs);
    expect(decoded.map((s) => s.run)).toEqual(["b"]);
    expect([...decoded[0].step]).toEqual([...series(10).step]);
  });

  it("snaps a media step to the nearest kept one; null is the newest", () => {
    const d = data();
    const bytes = new DataView(new Uint8Array([1, 2, 3]).buffer);
    d.media.set(JSON.stringify(["images", "img", "a"]), {
      steps: [5, 10],
      walls: [1, 2],
      byStep: new Map([[5, { items: [{ index: 0 }], buffers: [bytes] }], [10, { items: [{ index: 0 }], buffers: [bytes] }]]),
    });
    const ask = (step: number | null) => answer(d, { kind: "media_request", request_id: 1, plugin: "images", tag: "img", run: "a", step }, state)[0][0];
    expect(ask(null).step).toBe(10);
    expect(ask(6).step).toBe(5);
    expect(ask(0).steps).toEqual([5, 10]);
    const missing = answer(d, { kind: "media_request", request_id: 2, plugin: "images", tag: "img", run: "zz", step: null }, state)[0][0];
    expect(missing).toMatchObject({ steps: [], step: null, items: [] });
  });

  it("answers hparams and ignores unknown messages", () => {
    expect(answer(data(), { kind: "hparams_request", request_id: 3 }, state)[0][0]).toMatchObject({ kind: "hparams_reply", rows: [{ run: "a" }] });
    expect(answer(data(), { kind: "nope" }, state)).toEqual([]);
    expect(answer(data(), null, state)).toEqual([]);
  });

  it("writes CSV with quoted untrusted names and the kernel's file name rule", () => {
    const d = data();
    d.scalars.set('a,"b"', new Map([["r\nx", { ...series(1), value: Float64Array.of(NaN) }]]));
    expect(csvText(d, 'a,"b"', ["r\nx"])).toBe('run,tag,step,wall_time,value\n"r\nx","a,""b""",0,1700000000,nan\n');
    expect(csvFilename("loss/train")).toBe("loss_train.csv");
  });
});

describe("unpack", () => {
  it("unshuffles and widens int32/float32/float64 storage to float64, rejects references out of range", () => {
    const shuffled = (a: ArrayBufferView, width: number) => {
      const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      const m = b.length / width;
      return Uint8Array.from({ length: b.length }, (_, t) => b[(t % m) * width + Math.floor(t / m)]);
    };
    const blob = new ArrayBuffer(24);
    const bytes = new Uint8Array(blob);
    bytes.set(shuffled(Int32Array.of(3, -4), 4), 0);
    bytes.set(shuffled(Float32Array.of(0.5, 2), 4), 8);
    bytes.set(shuffled(Float64Array.of(Math.PI), 8), 16);
    const ref = (o: number, l: number, k: Ref[2]): Ref => [o, l, k];
    const d = unpack({ scalars: [["t", "r", 2, ref(0, 8, "i4"), ref(8, 8, "f4"), ref(16, 8, "f8")]] }, blob);
    const s = d.scalars.get("t")!.get("r")!;
    expect([...s.step]).toEqual([3, -4]);
    expect([...s.wall]).toEqual([0.5, 2]);
    expect([...s.value]).toEqual([Math.PI]);
    expect(() => unpack({ scalars: [["t", "r", 1, ref(0, 64, "f8"), ref(0, 8, "f8"), ref(0, 8, "f8")]] }, blob)).toThrow(/out of range/);
  });
});

describe("smoothReduced (a series reduced at export)", () => {
  // 25,000 noisy points reduced per pixel column to ~1,000, with the gap data nbtb/report.py
  // writes (gap_summary): logged points per kept one, mean of the dropped ones.
  const n = 25_000;
  let seed = 1;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const step = Float64Array.from({ length: n }, (_, i) => i);
  const value = Float64Array.from({ length: n }, (_, i) => Math.exp(-i / 5000) + 0.2 * (rnd() - 0.5));
  const keep = reduceIndices(step, value, 0, n - 1, 250);
  const gaps = new Float64Array(keep.length);
  const means = new Float64Array(keep.length);
  keep.forEach((k, i) => {
    const start = i === 0 ? 0 : keep[i - 1] + 1;
    let sum = 0;
    for (let j = start; j < k; j++) sum += value[j];
    gaps[i] = k - start + 1;
    means[i] = k > start ? sum / (k - start) : value[k];
  });
  const reduced = { step: gather(step, keep), wall: gather(step, keep), value: gather(value, keep), total: n, gaps, means };
  const maxErr = (a: Float64Array, b: Float64Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

  it.each([0.6, 0.9, 0.99, 0.999])("is close to the whole series' smoothing at %s, closer than smoothing the kept points", (w) => {
    const truth = gather(smooth(value, w), keep);
    const err = maxErr(smoothReduced(reduced, w), truth);
    const naive = maxErr(smooth(reduced.value, w), truth);
    expect(err).toBeLessThan(naive);
    expect(err).toBeLessThan(w >= 0.99 ? 0.005 : 0.05); // the noise is +-0.1
  });

  it("is sent with every reply of such a series, so the browser never smooths the kept points itself", () => {
    const { header, arrays } = prepare(reduced, 2000, 0.99, null, null);
    expect(header).toMatchObject({ reduced: false, smoothed: true });
    expect([...arrays[3]]).toEqual([...smoothReduced(reduced, 0.99)]);
  });
});
