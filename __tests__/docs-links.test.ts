/**
 * Every relative link in the repository's Markdown pages must reach a file, and every `#anchor` a
 * heading of the page it names, as GitHub renders them: a page moved or a heading renamed breaks
 * the links into it, and nothing else would notice.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";

const root = join(__dirname, "..");

/** The pages whose links are checked, relative to the repository root. */
function checkedPages(repository: string): string[] {
  const docs = readdirSync(join(repository, "docs")).filter((name) => name.endsWith(".md"));
  return ["README.md", ...docs.map((name) => `docs/${name}`), "docker/airflow/README.md"];
}

/**
 * The page's lines outside fenced code blocks, with inline code spans blanked out, so a link
 * written as an example (`[x](y)` in backticks or in a fence) is not taken for a link.
 */
function proseLines(markdown: string): { line: number; raw: string; text: string }[] {
  const lines: { line: number; raw: string; text: string }[] = [];
  let fence: string | undefined;
  markdown.split("\n").forEach((text, i) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(text)?.[1]; // fences in list items are indented further
    if (fence !== undefined) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
    } else if (marker) {
      fence = marker;
    } else {
      lines.push({ line: i + 1, raw: text, text: text.replace(/(`+)[^`]*?\1/g, (span) => " ".repeat(span.length)) });
    }
  });
  return lines;
}

/** Heading text as GitHub renders it: code, links, images, emphasis and HTML reduced to their text. */
function headingText(raw: string): string {
  return raw
    .split(/(`+[^`]*?`+)/)
    .map((part, i) =>
      i % 2 === 1
        ? part.replace(/^`+\s?|\s?`+$/g, "")
        : part
            .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
            .replace(/<[^>]+>/g, "")
            .replace(/(\*\*|\*)(?=\S)(.+?)(?<=\S)\1/g, "$2")
            .replace(/(?<!\w)(__|_)(?=\S)(.+?)(?<=\S)\1(?!\w)/g, "$2"),
    )
    .join("");
}

/**
 * GitHub's anchor for a heading (github-slugger): lower case, every character that is not a
 * letter, mark, digit, connector (`_`), space or hyphen dropped, each space a hyphen.
 */
function githubSlug(heading: string): string {
  return headingText(heading)
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** The anchors a page offers: its ATX headings' slugs, repeated ones numbered as GitHub does. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { raw } of proseLines(markdown)) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(raw)?.[1];
    if (heading === undefined) continue;
    const slug = githubSlug(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Inline links and images `[text](target "title")` and reference definitions `[label]: target`. */
function linkTargets(markdown: string): { line: number; target: string }[] {
  const found: { line: number; target: string }[] = [];
  for (const { line, text } of proseLines(markdown)) {
    for (const match of text.matchAll(/\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+"[^"]*")?\s*\)/g)) {
      found.push({ line, target: match[1].replace(/^<|>$/g, "") });
    }
    const definition = /^\s{0,3}\[[^\]]+\]:\s*(\S+)/.exec(text);
    if (definition) found.push({ line, target: definition[1].replace(/^<|>$/g, "") });
  }
  return found;
}

/** What is wrong with the relative links of one page, as `page:line: problem` lines. */
function linkProblems(repository: string, page: string): string[] {
  const problems: string[] = [];
  const markdown = readFileSync(join(repository, page), "utf8");
  for (const { line, target } of linkTargets(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...: not this test's business
    const hash = target.indexOf("#");
    const path = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
    const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const resolved =
      path === "" ? page : posix.normalize(path.startsWith("/") ? path.slice(1) : posix.join(posix.dirname(page), path));
    const where = `${page}:${line}: ${target}`;
    if (resolved.startsWith("../") || resolved === "..") {
      problems.push(`${where}: points outside the repository`);
      continue;
    }
    const file = join(repository, resolved);
    if (!existsSync(file)) {
      problems.push(`${where}: no file ${resolved}`);
      continue;
    }
    if (anchor === undefined) continue;
    if (!statSync(file).isFile() || !resolved.endsWith(".md")) {
      if (!/^L\d+(-L\d+)?$/.test(anchor)) problems.push(`${where}: ${resolved} is not a Markdown page, so it has no #${anchor}`);
      continue;
    }
    if (!anchorsOf(readFileSync(file, "utf8")).has(anchor)) problems.push(`${where}: ${resolved} has no heading #${anchor}`);
  }
  return problems;
}

describe("relative links in the Markdown pages", () => {
  it.each(checkedPages(root))("%s links only to files and headings that exist", (page) => {
    expect(linkProblems(root, page)).toEqual([]);
  });
});

describe("the link check", () => {
  let fixture: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(fixture, path)), { recursive: true });
    writeFileSync(join(fixture, path), text);
  };

  beforeEach(() => {
    fixture = mkdtempSync(join(tmpdir(), "docs-links-"));
    write("docs/page.md", "# Page\n## Set-up: two commands\n## Set-up: two commands\n## DAGs (`dags/`)\n");
    write("main.ts", "");
  });
  afterEach(() => rmSync(fixture, { recursive: true, force: true }));

  it("reports a link to a missing file and to a missing heading, and nothing else", () => {
    write(
      "README.md",
      [
        "[ok](docs/page.md) [ok](docs/page.md#set-up-two-commands) [ok](docs/page.md#set-up-two-commands-1)",
        "[ok](docs/page.md#dags-dags) [ok](main.ts) [ok](main.ts#L3) [ok](https://example.com/x.md#nowhere) [ok](#readme)",
        "# Readme",
        "[gone](docs/moved.md)",
        "[gone](docs/page.md#set-up)",
        "`[code](not/a/link.md)`",
        "```",
        "[fenced](not/a/link.md)",
        "```",
        "[out](../elsewhere.md)",
        "- a list item with a fence:",
        "    ```bash",
        "    [fenced](in/a/list.md)",
        "    ```",
      ].join("\n"),
    );
    expect(linkProblems(fixture, "README.md")).toEqual([
      "README.md:4: docs/moved.md: no file docs/moved.md",
      "README.md:5: docs/page.md#set-up: docs/page.md has no heading #set-up",
      "README.md:10: ../elsewhere.md: points outside the repository",
    ]);
  });

  it("resolves a page's links from its own folder", () => {
    write("docs/other.md", "[up](../main.ts) [side](page.md#page) [wrong](docs/page.md)\n");
    expect(linkProblems(fixture, "docs/other.md")).toEqual(["docs/other.md:1: docs/page.md: no file docs/docs/page.md"]);
  });

  it.each([
    ["Set-up: two commands", "set-up-two-commands"],
    ["Validating with OpenTofu (opt-in): `make validate`", "validating-with-opentofu-opt-in-make-validate"],
    ["`sqs:ListQueues` on `*`", "sqslistqueues-on-"],
    ["Node ≥ 20 and **bold** _em_ snake_case", "node--20-and-bold-em-snake_case"],
    ["Configuración rápida", "configuración-rápida"],
    ["[Linked](docs/x.md) heading", "linked-heading"],
  ])("slugs %j as GitHub does: %s", (heading, slug) => {
    expect(githubSlug(heading)).toBe(slug);
  });
});
