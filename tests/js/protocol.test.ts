import { describe, expect, it } from "vitest";
import {
  applyAppend,
  decodeSeries,
  type KernelMessage,
  type ScalarsReply,
  type Series,
  Requests,
  toFloat64,
  type BrowserMessage,
} from "../../js/protocol";

/** float64 values packed at a given byte offset inside a bigger buffer (as widgets deliver them). */
function misaligned(values: number[], offset: number): DataView {
  const buf = new ArrayBuffer(offset + values.length * 8 + 3);
  const dv = new DataView(buf, offset, values.length * 8);
  values.forEach((v, i) => dv.setFloat64(i * 8, v, true));
  return dv;
}

describe("toFloat64", () => {
  it("decodes an aligned DataView without copying", () => {
    const dv = misaligned([1.5, -2], 8);
    const f = toFloat64(dv);
    expect(Array.from(f)).toEqual([1.5, -2]);
    expect(f.buffer).toBe(dv.buffer);
  });

  it("copies a misaligned DataView and keeps exact float64 values", () => {
    const vals = [0.1 + 0.2, NaN, Infinity, -Infinity, 5e-324, 1.7976931348623157e308];
    for (const off of [1, 3, 5, 7]) {
      const f = toFloat64(misaligned(vals, off));
      expect(Array.from(f)).toEqual(vals);
      expect(String(f[0])).toBe("0.30000000000000004");
    }
  });
});

describe("decodeSeries", () => {
  it("splits 3 buffers per plain series and 4 per reduced one", () => {
    const headers = [
      { run: "a", n: 2, total: 2, reduced: false },
      { run: "b", n: 1, total: 1000, reduced: true },
    ];
    const bufs = [
      misaligned([0, 1], 3), misaligned([10, 11], 5), misaligned([0.5, 0.25], 1),
      misaligned([7], 2), misaligned([17], 4), misaligned([-1], 6), misaligned([-0.5], 7),
    ];
    const [a, b] = decodeSeries(headers, bufs);
    expect(Array.from(a.step)).toEqual([0, 1]);
    expect(Array.from(a.wall)).toEqual([10, 11]);
    expect(Array.from(a.value)).toEqual([0.5, 0.25]);
    expect(a.smoothed).toBeNull();
    expect(b.reduced).toBe(true);
    expect(b.total).toBe(1000);
    expect(Array.from(b.smoothed!)).toEqual([-0.5]);
  });

  it("rejects a layout whose buffer count does not add up", () => {
    expect(() => decodeSeries([{ run: "a", n: 1, total: 1, reduced: false }], [misaligned([1], 0)])).toThrow();
    expect(() =>
      decodeSeries([{ run: "a", n: 1, total: 1, reduced: false }], [misaligned([1], 0), misaligned([1], 0), misaligned([1, 2], 0)]),
    ).toThrow(/expected 1 points/);
  });
});

describe("Requests", () => {
  function setup() {
    const sent: BrowserMessage[] = [];
    const r = new Requests((m) => sent.push(m), 0);
    return { sent, r };
  }

  it("sends a scalars_request and merges a multi-part reply by run", () => {
    const { sent, r } = setup();
    const calls: Series[][] = [];
    const id = r.scalars({ tag: "loss", runs: ["a", "b"], width: 400, smoothing: 0.6, x_min: null, x_max: null }, (s) =>
      calls.push(s),
    );
    expect(sent[0]).toMatchObject({ kind: "scalars_request", request_id: id, tag: "loss", runs: ["a", "b"], width: 400 });

    const part = (series: { run: string; n: number }[], data: number[][]): [KernelMessage, DataView[]] => [
      { kind: "scalars_reply", request_id: id, tag: "loss", series: series.map((s) => ({ ...s, total: s.n, reduced: false })) },
      data.map((d, i) => misaligned(d, i % 8)),
    ];
    expect(r.handle(...part([{ run: "a", n: 2 }], [[0, 1], [100, 101], [1, 2]]))).toBe(true);
    expect(r.handle(...part([{ run: "a", n: 1 }, { run: "b", n: 1 }], [[2], [102], [3], [5], [105], [6]]))).toBe(true);

    expect(calls.length).toBe(2);
    const [a, b] = calls[1];
    expect(a.run).toBe("a");
    expect(Array.from(a.step)).toEqual([0, 1, 2]);
    expect(Array.from(a.wall)).toEqual([100, 101, 102]);
    expect(Array.from(a.value)).toEqual([1, 2, 3]);
    expect(b.run).toBe("b");
    expect(Array.from(b.value)).toEqual([6]);
  });

  it("ignores replies to unknown or cancelled requests", () => {
    const { r } = setup();
    let called = 0;
    const id = r.scalars({ tag: "t", runs: [], width: 1, smoothing: 0, x_min: null, x_max: null }, () => called++);
    r.cancel(id);
    const reply: ScalarsReply = { kind: "scalars_reply", request_id: id, tag: "t", series: [] };
    expect(r.handle(reply, [])).toBe(false);
    expect(r.handle({ ...reply, request_id: id + 99 }, [])).toBe(false);
    expect(called).toBe(0);
  });

  it("drops the entry once all announced parts arrived", () => {
    const { r } = setup();
    const id = r.scalars({ tag: "t", runs: [], width: 1, smoothing: 0, x_min: null, x_max: null }, () => {});
    r.handle({ kind: "scalars_reply", request_id: id, tag: "t", series: [], part: 0, parts: 2 }, []);
    expect(r.size).toBe(1);
    r.handle({ kind: "scalars_reply", request_id: id, tag: "t", series: [], part: 1, parts: 2 }, []);
    expect(r.size).toBe(0);
  });

  it("resolves a csv request with its buffer", async () => {
    const { sent, r } = setup();
    const p = r.csv("loss", ["a"]);
    const req = sent[0] as { request_id: number; kind: string };
    expect(req.kind).toBe("csv_request");
    const data = new TextEncoder().encode("run,tag,step,wall_time,value\n");
    r.handle({ kind: "csv_reply", request_id: req.request_id, filename: "loss.csv" }, [new DataView(data.buffer)]);
    const got = await p;
    expect(got.filename).toBe("loss.csv");
    expect(got.data.byteLength).toBe(data.byteLength);
  });
});

describe("applyAppend", () => {
  const mk = (run: string, v: number[]): Series => ({
    run,
    step: Float64Array.from(v.map((_, i) => i)),
    wall: Float64Array.from(v.map((_, i) => 100 + i)),
    value: Float64Array.from(v),
    smoothed: null,
    total: v.length,
    reduced: false,
  });
  it("appends new points", () => {
    const s = applyAppend(mk("a", [1, 2]), mk("a", [3]), false);
    expect(Array.from(s.value)).toEqual([1, 2, 3]);
    expect(s.total).toBe(3);
  });
  it("replaces the series on reset", () => {
    const s = applyAppend(mk("a", [1, 2]), mk("a", [9]), true);
    expect(Array.from(s.value)).toEqual([9]);
    expect(s.total).toBe(1);
  });
  it("starts a series that was not there", () => {
    expect(Array.from(applyAppend(undefined, mk("a", [4]), false).value)).toEqual([4]);
  });
});
