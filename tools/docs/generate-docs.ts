/** Writes config/environment.schema.json and the docs pages' generated sections. Run by `make docs`. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GENERATED_SECTIONS, renderSchemaJson, replaceGenerated } from "./docs";

const root = join(__dirname, "..", "..");
writeFileSync(join(root, "config", "environment.schema.json"), renderSchemaJson());
for (const [name, { file, render }] of Object.entries(GENERATED_SECTIONS)) {
  const path = join(root, file);
  writeFileSync(path, replaceGenerated(readFileSync(path, "utf8"), name, render(), file));
}
