import assert from "node:assert/strict";
import {
  field,
  heading,
  htmlText,
  list,
  mdText,
  note,
  para,
  table,
  toHtml,
  toMarkdown,
} from "../../report/doc.ts";

const EVIL = "m<script>&'\"";

const DOC = [
  heading(1, `Title ${EVIL}`),
  para([...field("Timestamp", "2026-01-02"), { br: true }, { em: "note" }]),
  table(["Test", "Value"], [["a | b", [{ strong: "No" }, ` ${EVIL}`]]]),
  list([field("Model", EVIL), "two"], { strong: "Latency:" }),
  note(["note & ", { code: "co<de>" }]),
];

Deno.test("Markdown: blocks apart by a blank line, spans as Markdown, table cells and < escaped", () => {
  // A `<` is escaped so that no string can become live HTML where the Markdown is rendered.
  const md = EVIL.replaceAll("<", "\\<");
  assert.equal(
    toMarkdown(DOC),
    [
      `# Title ${md}`,
      "",
      "**Timestamp:** 2026-01-02  ",
      "_note_",
      "",
      "| Test   | Value                |",
      "| ------ | -------------------- |",
      `| a \\| b | **No** ${md} |`,
      "",
      "**Latency:**",
      `- **Model:** ${md}`,
      "- two",
      "",
      "> note & `co<de>`",
      "",
    ].join("\n"),
  );
});

Deno.test("HTML: the same blocks, every string escaped, headings shifted", () => {
  const html = toHtml(DOC, 2);
  const e = "m&lt;script&gt;&amp;&#39;&quot;";
  assert.ok(html.includes(`<h3>Title ${e}</h3>`), html);
  assert.ok(html.includes("<p><strong>Timestamp:</strong> 2026-01-02<br><em>note</em></p>"));
  assert.ok(html.includes("<th>Test</th><th>Value</th>"));
  assert.ok(html.includes(`<td>a | b</td><td><strong>No</strong> ${e}</td>`));
  assert.ok(html.includes(`<p><strong>Latency:</strong></p><ul><li><strong>Model:</strong> ${e}`));
  assert.ok(html.includes("<blockquote>note &amp; <code>co&lt;de&gt;</code></blockquote>"));
  assert.ok(!html.includes("<script"));
  assert.equal(mdText([{ code: "x" }, " y"]), "`x` y");
  assert.equal(htmlText("<b>"), "&lt;b&gt;");
});
