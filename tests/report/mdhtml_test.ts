import assert from "node:assert/strict";
import { markdownToHtml } from "../../report/mdhtml.ts";

Deno.test("Markdown tables, lists and emphasis become HTML with all text escaped", () => {
  const html = markdownToHtml(
    [
      "# Title <x>",
      "",
      "| Test | Value |",
      "| --- | ---: |",
      "| a \\| b | **1** <i> |",
      "",
      "- **Model:** m<script>",
      "- two",
      "",
      "> note & `co<de>`",
      "",
      "![chart](charts/x.svg)",
      "_italic_ text",
    ].join("\n"),
    1,
  );
  assert.match(html, /<h2>Title &lt;x&gt;<\/h2>/);
  assert.match(html, /<th>Test<\/th><th>Value<\/th>/);
  assert.match(html, /<td>a \| b<\/td><td><strong>1<\/strong> &lt;i&gt;<\/td>/);
  assert.match(html, /<li><strong>Model:<\/strong> m&lt;script&gt;<\/li><li>two<\/li>/);
  assert.match(html, /<blockquote>note &amp; <code>co&lt;de&gt;<\/code><\/blockquote>/);
  assert.ok(!html.includes("charts/x.svg"), "image lines dropped");
  assert.match(html, /<p><em>italic<\/em> text<\/p>/);
});
