import assert from "node:assert/strict";
import {
  chatBody,
  kvMetrics,
  median,
  postChat,
  readEvents,
  withServer,
  words,
} from "./_helpers.ts";

interface StreamTiming {
  ttft: number;
  itls: number[];
  span: number;
  cached: number;
}

async function timeStream(
  server: { url: string },
  body: Record<string, unknown>,
): Promise<StreamTiming> {
  const t0 = performance.now();
  const res = await postChat(server as never, {
    ...body,
    stream: true,
    stream_options: { include_usage: true },
  });
  const { events } = await readEvents(res);
  const tokens = events.filter((e) => {
    if (e.data === "[DONE]") return false;
    const c = JSON.parse(e.data).choices[0];
    return typeof c?.delta?.content === "string" && c.delta.content !== "";
  });
  const usage = JSON.parse(events.at(-2)!.data).usage;
  const itls = tokens.slice(1).map((e, i) => e.at - tokens[i].at);
  return {
    ttft: tokens[0].at - t0,
    itls,
    span: tokens.at(-1)!.at - tokens[0].at,
    cached: usage.prompt_tokens_details.cached_tokens,
  };
}

Deno.test("timing: TTFT and ITL medians match the configuration (loose tolerance)", async () => {
  await withServer({ ttftMs: 50, itlMs: 10, prefillMsPerToken: 0 }, async (server) => {
    const ttfts: number[] = [];
    const itls: number[] = [];
    for (let i = 0; i < 8; i++) {
      const t = await timeStream(server, chatBody(`timing ${i}`, { max_tokens: 10 }));
      ttfts.push(t.ttft);
      itls.push(...t.itls);
    }
    const mt = median(ttfts);
    const mi = median(itls);
    assert.ok(Math.abs(mt - 50) <= 15, `median TTFT ${mt.toFixed(2)} ms, want 50 ± 15`);
    assert.ok(mi >= 7 && mi <= 16, `median ITL ${mi.toFixed(2)} ms, want about 10`);
  });
});

Deno.test("timing: token deadlines are absolute, so timer overshoot does not accumulate", async () => {
  await withServer(
    { ttftMs: 0, itlMs: 4, itlVariancePct: 0, prefillMsPerToken: 0 },
    async (server) => {
      const spans: number[] = [];
      for (let i = 0; i < 5; i++) {
        spans.push(
          (await timeStream(server, chatBody(`drift ${i}`, { max_tokens: 60 }))).span,
        );
      }
      const ideal = 59 * 4;
      const m = median(spans);
      // chained sleeps would add the overshoot of each of 59 timers (0.5-2 ms each)
      assert.ok(
        m >= ideal - 8 && m <= ideal + 20,
        `median span ${m.toFixed(1)} ms, ideal ${ideal}`,
      );
    },
  );
});

Deno.test("timing: non-streaming answers when the last token would have been sent", async () => {
  await withServer({ ttftMs: 30, itlMs: 5, prefillMsPerToken: 0 }, async (server) => {
    const took: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const res = await postChat(server, chatBody(`ns ${i}`, { max_tokens: 20 }));
      await res.json();
      took.push(performance.now() - t0);
    }
    const m = median(took);
    const ideal = 30 + 19 * 5;
    assert.ok(m >= ideal - 10 && m <= ideal + 30, `median ${m.toFixed(1)} ms, ideal ${ideal}`);
  });
});

Deno.test("timing: zero latency settings answer at once; latencyMs delays the response start", async () => {
  await withServer({ ttftMs: 0, itlMs: 0, prefillMsPerToken: 0 }, async (server) => {
    const t0 = performance.now();
    const res = await postChat(server, chatBody("fast", { max_tokens: 50 }));
    await res.json();
    assert.ok(performance.now() - t0 < 200);
  });
  await withServer(
    { ttftMs: 0, itlMs: 0, prefillMsPerToken: 0, latencyMs: 120 },
    async (server) => {
      const took: number[] = [];
      const heads: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const res = await postChat(server, chatBody("slow", { max_tokens: 5 }));
        await res.json();
        took.push(performance.now() - t0);
        const s0 = performance.now();
        const sres = await postChat(server, chatBody("slow", { max_tokens: 5, stream: true }));
        heads.push(performance.now() - s0);
        await sres.text();
      }
      assert.ok(median(took) >= 115 && median(took) <= 200, `non-streaming ${median(took)}`);
      assert.ok(median(heads) >= 115 && median(heads) <= 200, `stream headers ${median(heads)}`);
    },
  );
});

Deno.test("timing: prefill is paid only for uncached tokens, so a cached 1000-token prompt is faster", async () => {
  await withServer({ ttftMs: 10, itlMs: 1, prefillMsPerToken: 0.1 }, async (server) => {
    const system = words(1000, "sys");
    const body = (q: string) => ({
      model: "m",
      max_tokens: 3,
      messages: [{ role: "system", content: system }, { role: "user", content: q }],
    });
    const cold = await timeStream(server, body("first question"));
    const warm = await timeStream(server, body("second question"));
    assert.equal(cold.cached, 0);
    assert.equal(warm.cached, 992, "62 whole blocks of the 1000-token system prompt");
    assert.ok(cold.ttft >= 100, `cold TTFT ${cold.ttft.toFixed(1)} ms`);
    assert.ok(
      cold.ttft - warm.ttft >= 60,
      `cold ${cold.ttft.toFixed(1)} vs warm ${warm.ttft.toFixed(1)} ms`,
    );
    const m = await kvMetrics(server);
    const sp = m.cache_performance.speedup_stats as unknown as Record<string, number>;
    assert.equal(sp.total_speedup_records, 2);
    assert.ok(sp.avg_baseline_ttft_ms > sp.avg_actual_ttft_ms);
  });
});

Deno.test("timing: responses due inside the pause window wait until it ends", async () => {
  // The window opens when the server starts and lasts 400 ms; the server's origin is after
  // `beforeStart`, so nothing due in the window may answer before beforeStart + 400 ms.
  // Compared side by side with a request after the window, never against a wall-clock range.
  const beforeStart = performance.now();
  await withServer(
    { ttftMs: 0, itlMs: 0, prefillMsPerToken: 0, pauseAtS: 0, pauseMs: 400 },
    async (server) => {
      const timed = async (stream: boolean) => {
        const t0 = performance.now();
        const res = await postChat(server, chatBody("p", { max_tokens: 3, stream }));
        await res.text();
        return { took: performance.now() - t0, done: performance.now() };
      };
      const health = async () => {
        const t0 = performance.now();
        await (await fetch(`${server.url}/health`)).text();
        return { took: performance.now() - t0, done: performance.now() };
      };
      const [during, duringStream, duringHealth] = await Promise.all([
        timed(false),
        timed(true),
        health(),
      ]);
      const windowEnd = beforeStart + 400;
      for (
        const [name, r] of [["chat", during], ["stream", duringStream], [
          "health",
          duringHealth,
        ]] as const
      ) {
        assert.ok(
          r.done >= windowEnd,
          `${name} answered ${(windowEnd - r.done).toFixed(1)} ms early`,
        );
      }
      const after = await timed(false);
      assert.ok(after.took < during.took, `after ${after.took} vs during ${during.took}`);
    },
  );
});
