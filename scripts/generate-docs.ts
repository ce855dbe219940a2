/** Writes config/environment.schema.json and the README's generated sections. Run by `make docs`. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { README_SECTIONS, renderSchemaJson, replaceGenerated } from "./docs";

const root = join(__dirname, "..");
writeFileSync(join(root, "config", "environment.schema.json"), renderSchemaJson());
const readmePath = join(root, "README.md");
let readme = readFileSync(readmePath, "utf8");
for (const [name, render] of Object.entries(README_SECTIONS)) readme = replaceGenerated(readme, name, render());
writeFileSync(readmePath, readme);
