import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { GENERATED_SECTIONS, generatedNames, renderSchemaJson, replaceGenerated } from "../../tools/docs/docs";

const root = join(__dirname, "..", "..");
const read = (file: string) => readFileSync(join(root, file), "utf8");
const pages = ["README.md", ...readdirSync(join(root, "docs")).map((name) => `docs/${name}`)];

describe("generated documentation is current (run `make docs` when this fails)", () => {
  it("config/environment.schema.json matches config/schema.ts", () => {
    expect(read("config/environment.schema.json")).toBe(renderSchemaJson());
  });

  it.each(Object.entries(GENERATED_SECTIONS))("the %s section of its page matches its source", (name, section) => {
    const page = read(section.file);
    expect(replaceGenerated(page, name, section.render(), section.file)).toBe(page);
  });

  it("holds each generated section in exactly one page, the one tools/docs/docs.ts writes", () => {
    // A copy left behind in another page would never be regenerated and would drift unnoticed.
    const found = pages.flatMap((file) => generatedNames(read(file)).map((name) => `${name} in ${file}`));
    const expected = Object.entries(GENERATED_SECTIONS).map(([name, { file }]) => `${name} in ${file}`);
    expect(found.sort()).toEqual(expected.sort());
  });
});
