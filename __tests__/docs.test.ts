import { readFileSync } from "node:fs";
import { join } from "node:path";
import { README_SECTIONS, renderSchemaJson, replaceGenerated } from "../scripts/docs";

const root = join(__dirname, "..");

describe("generated documentation is current (run `make docs` when this fails)", () => {
  it("config/environment.schema.json matches config/schema.ts", () => {
    expect(readFileSync(join(root, "config", "environment.schema.json"), "utf8")).toBe(renderSchemaJson());
  });

  it.each(Object.keys(README_SECTIONS))("the README's %s section matches its source", (name) => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    expect(replaceGenerated(readme, name, README_SECTIONS[name]())).toBe(readme);
  });
});
