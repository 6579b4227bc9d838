import { describe, expect, it } from "vitest";
import { breakdownRows, records } from "../../js/profile/overview";
import { aggregateRange, formatUs } from "../../js/profile/selection";
import { ProfileAssembler, type ProfileReply, typed } from "../../js/profile/wire";
import { makeProfile } from "./profile_fixture";

/** A DataView over `arr`'s bytes at an odd offset, as a widget buffer may arrive. */
function unaligned(arr: ArrayBufferView): DataView {
  const bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
  const host = new Uint8Array(bytes.length + 3);
  host.set(bytes, 3);
  return new DataView(host.buffer, 3, bytes.length);
}

describe("ProfileAssembler", () => {
  const header = {
    kind: "profile_reply" as const,
    request_id: 7,
    run: "r",
    session: "s",
    n: 3,
    t0: 1000,
    span: 9,
    lanes: [{ pid: 1, tid: 2, process: "python", thread: "main", depth: 2 }],
    names: ["a", "b"],
    cats: ["cpu_op"],
    steps: [{ step: 1, start: 0, end: 9 }],
    memory: { n: 2, total: 2, devices: ["0"] },
    overview: null,
    error: null,
    columns: {
      start: { dtype: "f64" as const, n: 3 },
      dur: { dtype: "f64" as const, n: 3 },
      self: { dtype: "f32" as const, n: 3 },
      lane: { dtype: "u16" as const, n: 3 },
      depth: { dtype: "u8" as const, n: 3 },
      name: { dtype: "u32" as const, n: 3 },
      cat: { dtype: "u8" as const, n: 3 },
      mem_ts: { dtype: "f64" as const, n: 2 },
      mem_allocated: { dtype: "f64" as const, n: 2 },
      mem_reserved: { dtype: "f64" as const, n: 2 },
    },
  };

  it("fills columns from slices of several parts, in any order, from unaligned buffers", () => {
    const asm = new ProfileAssembler();
    const p1: ProfileReply = {
      kind: "profile_reply",
      request_id: 7,
      part: 1,
      parts: 2,
      buffers: [
        { column: "start", dtype: "f64", offset: 2, n: 1 },
        { column: "mem_ts", dtype: "f64", offset: 0, n: 2 },
        { column: "mem_allocated", dtype: "f64", offset: 0, n: 2 },
        { column: "mem_reserved", dtype: "f64", offset: 0, n: 2 },
      ],
    };
    expect(
      asm.add(p1, [unaligned(Float64Array.of(6)), unaligned(Float64Array.of(0, 5)), unaligned(Float64Array.of(10, 20)), unaligned(Float64Array.of(32, 32))]),
    ).toBeNull();
    const p0: ProfileReply = {
      ...header,
      part: 0,
      parts: 2,
      buffers: [
        { column: "start", dtype: "f64", offset: 0, n: 2 },
        { column: "dur", dtype: "f64", offset: 0, n: 3 },
        { column: "self", dtype: "f32", offset: 0, n: 3 },
        { column: "lane", dtype: "u16", offset: 0, n: 3 },
        { column: "depth", dtype: "u8", offset: 0, n: 3 },
        { column: "name", dtype: "u32", offset: 0, n: 3 },
        { column: "cat", dtype: "u8", offset: 0, n: 3 },
      ],
    };
    const d = asm.add(p0, [
      unaligned(Float64Array.of(0, 1)),
      unaligned(Float64Array.of(9, 2, 3)),
      unaligned(Float32Array.of(4, 2, 3)),
      unaligned(Uint16Array.of(0, 0, 0)),
      Uint8Array.of(0, 1, 1),
      unaligned(Uint32Array.of(0, 1, 1)),
      Uint8Array.of(0, 0, 0),
    ]);
    expect(d).not.toBeNull();
    expect([...d!.start]).toEqual([0, 1, 6]);
    expect([...d!.dur]).toEqual([9, 2, 3]);
    expect([...d!.depth]).toEqual([0, 1, 1]);
    expect([...d!.memAllocated]).toEqual([10, 20]);
    expect(d!.lanes[0].thread).toBe("main");
  });

  it("refuses a part whose buffers do not match its header", () => {
    const asm = new ProfileAssembler();
    expect(() => asm.add({ ...header, part: 0, parts: 1, buffers: [{ column: "start", dtype: "f64", offset: 0, n: 3 }] }, [])).toThrow();
    expect(() =>
      new ProfileAssembler().add({ ...header, part: 0, parts: 1, buffers: [{ column: "start", dtype: "f64", offset: 2, n: 3 }] }, [Float64Array.of(1, 2, 3)]),
    ).toThrow(/out of range/);
  });

  it("typed views every dtype", () => {
    expect([...typed(unaligned(Uint32Array.of(1, 2 ** 31)), "u32")]).toEqual([1, 2 ** 31]);
    expect([...typed(new DataView(Uint8Array.of(1, 2).buffer), "u8")]).toEqual([1, 2]);
  });
});

describe("aggregateRange", () => {
  const d = makeProfile([
    { lane: 0, depth: 0, start: 0, dur: 100, name: "step", self: 40 },
    { lane: 0, depth: 1, start: 10, dur: 30, name: "matmul", self: 30 },
    { lane: 0, depth: 1, start: 50, dur: 30, name: "matmul", self: 30 },
    { lane: 1, depth: 0, start: 200, dur: 5, name: "kernel", cat: "kernel" },
  ]);

  it("sums calls, total and self time by name of the events overlapping the range", () => {
    const rows = aggregateRange(d, 45, 150);
    expect(rows).toEqual([
      { name: "step", cat: "cpu_op", calls: 1, total: 100, self: 40 },
      { name: "matmul", cat: "cpu_op", calls: 1, total: 30, self: 30 },
    ]);
    expect(aggregateRange(d, 0, 300).find((r) => r.name === "matmul")).toMatchObject({ calls: 2, total: 60 });
    expect(aggregateRange(d, 190, 300)).toEqual([{ name: "kernel", cat: "kernel", calls: 1, total: 5, self: 5 }]);
    expect(aggregateRange(d, 101, 199)).toEqual([]);
  });

  it("matches a brute-force count", () => {
    let calls = 0;
    for (let i = 0; i < d.n; i++) if (d.start[i] <= 60 && d.start[i] + d.dur[i] >= 20) calls++;
    expect(aggregateRange(d, 20, 60).reduce((s, r) => s + r.calls, 0)).toBe(calls);
  });
});

describe("formatting and overview frames", () => {
  it("formatUs picks the unit", () => {
    expect(formatUs(0.5)).toBe("500 ns");
    expect(formatUs(12.5)).toBe("12.5 µs");
    expect(formatUs(1234.6)).toBe("1.235 ms");
    expect(formatUs(2.5e6)).toBe("2.5 s");
  });
  it("records reads records and pandas split/dict orients", () => {
    expect(records([{ a: 1 }])).toEqual([{ a: 1 }]);
    expect(records({ columns: ["a"], index: [3], data: [[1]] })).toEqual([{ index: 3, a: 1 }]);
    expect(records({ a: { x: 1 }, b: { x: 2 } })).toEqual([{ index: "x", a: 1, b: 2 }]);
  });
  it("breakdownRows reads Overview.to_dict()'s columns / steps / rows", () => {
    const ov = { columns: ["Kernel", "Total"], steps: [2, 3, "average"], rows: [[1, 2], [3, 4], [2, 3]] };
    expect(breakdownRows(ov)).toEqual([
      { step: 2, Kernel: 1, Total: 2 },
      { step: 3, Kernel: 3, Total: 4 },
      { step: "average", Kernel: 2, Total: 3 },
    ]);
  });
});
