import { describe, expect, it } from "vitest";
import { groupTags, makeMatcher, tagGroup } from "../../js/filter";

describe("filters", () => {
  it("matches a regex case-insensitively", () => {
    const m = makeMatcher("^loss/(train|val)$");
    expect(["loss/train", "LOSS/val", "loss/test", "xloss/train"].filter(m)).toEqual(["loss/train", "LOSS/val"]);
  });
  it("treats an invalid regex as plain text", () => {
    const m = makeMatcher("acc(");
    expect(["acc(top1)", "accuracy"].filter(m)).toEqual(["acc(top1)"]);
  });
  it("matches everything when empty", () => {
    expect(["a", ""].filter(makeMatcher(""))).toEqual(["a", ""]);
  });
});

describe("tag groups", () => {
  it("groups by the prefix before the first slash", () => {
    expect(tagGroup("loss/train/step")).toBe("loss");
    expect(tagGroup("accuracy")).toBe("accuracy");
    expect(tagGroup("/odd")).toBe("/odd");
  });
  it("sorts groups and tags, each tag without a slash in its own group", () => {
    const g = groupTags(["loss/val", "lr", "accuracy", "loss/train", "acc/top5"], () => true);
    expect([...g.entries()]).toEqual([
      ["acc", ["acc/top5"]],
      ["accuracy", ["accuracy"]],
      ["loss", ["loss/train", "loss/val"]],
      ["lr", ["lr"]],
    ]);
  });
  it("drops filtered-out tags and empty groups", () => {
    const g = groupTags(["loss/val", "lr"], (t) => t !== "lr");
    expect([...g.keys()]).toEqual(["loss"]);
  });
});
