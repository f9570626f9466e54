import assert from "node:assert/strict";
import { ChatClient, HTTP_CLIENTS } from "../../net/client.ts";
import { mockServer } from "../_mock.ts";

for (const http of HTTP_CLIENTS) {
  Deno.test(`${http}: a body object sent again is sent the same; another body is sent as itself`, async () => {
    const seen: unknown[] = [];
    const mock = mockServer(async (req) => {
      seen.push(await req.json());
      return Response.json({
        choices: [{ message: { content: "x" } }],
        usage: { completion_tokens: 1 },
      });
    });
    const client = new ChatClient({ baseUrl: mock.url, timeoutMs: 5000, http });
    try {
      const a = { model: "m", messages: [{ role: "user", content: "first" }], max_tokens: 1 };
      const b = { ...a, messages: [{ role: "user", content: "second" }], stream: false };
      for (const body of [a, a, b, a]) assert.equal((await client.chat(body)).outcome, "ok");
      assert.deepEqual(seen, [a, a, b, a]);
    } finally {
      client.close();
      await mock.close();
    }
  });
}
