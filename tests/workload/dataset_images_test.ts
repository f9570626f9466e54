/**
 * Datasets whose records carry images: parsed from JSONL (`images`, `image`, content parts) and
 * ShareGPT (LLaVA's `image`), checked before any request, read once, sent with the first turn,
 * and described in the report.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseJsonl, parseShareGpt } from "../../workload/dataset.ts";
import { wordTokenizer } from "../../workload/tokenizer.ts";
import {
  buildWorkload,
  defaultWorkload,
  preflightWorkload,
  workloadBody,
  type WorkloadSpec,
} from "../../workload/workload.ts";
import { encodeImage, imagePixels } from "../../workload/images.ts";
import { encodeBase64 } from "../../util/bytes.ts";
import { ConfigError } from "../../util/errors.ts";

const tok = wordTokenizer(true);

Deno.test("JSONL and ShareGPT records name their images in every documented way", () => {
  const jsonl = [
    `{"prompt": "one", "images": ["a.png", "b.jpg"]}`,
    `{"prompt": "two", "image": "c.png"}`,
    `{"messages": [{"role": "user", "content": [{"type": "text", "text": "look"}, ` +
    `{"type": "image_url", "image_url": {"url": "d.png"}}, {"type": "text", "text": "here"}]}]}`,
    `{"prompt": "none"}`,
  ].join("\n");
  const ds = parseJsonl("v.jsonl", jsonl);
  assert.deepEqual(ds.entries.map((e) => e.images), [["a.png", "b.jpg"], ["c.png"], [
    "d.png",
  ], undefined]);
  assert.deepEqual(ds.entries[2].turns, ["look here"]);

  const llava = `[{"id": "x", "image": "coco/1.jpg", "conversations": [
    {"from": "human", "value": "<image>\\nWhat is shown?"},
    {"from": "gpt", "value": "A cat."}]}]`;
  const sg = parseShareGpt("l.json", llava, tok);
  assert.deepEqual(sg.entries[0].images, ["coco/1.jpg"]);
  assert.deepEqual(sg.entries[0].turns, ["What is shown?"], "the <image> marker is dropped");
});

Deno.test("malformed image fields are named with their line", () => {
  assert.throws(
    () => parseJsonl("v.jsonl", `{"prompt": "a"}\n{"prompt": "b", "images": [3]}`),
    (e: unknown) => e instanceof ConfigError && /line 2: "images" must be a list/.test(e.message),
  );
  const many = JSON.stringify({ prompt: "c", images: Array(17).fill("x.png") });
  assert.throws(() => parseJsonl("v.jsonl", many), /17 images, more than 16/);
  const badPart = `{"messages": [{"role": "user", "content": [{"type": "audio"}]}]}`;
  assert.throws(() => parseJsonl("v.jsonl", badPart), /line 1: messages\[0\] needs/);
});

async function visionDataset(dir: string): Promise<void> {
  await Deno.mkdir(join(dir, "img"));
  const small = { width: 56, height: 84 };
  const wide = { width: 300, height: 100 };
  await Deno.writeFile(
    join(dir, "img", "a.png"),
    await encodeImage(imagePixels(small, 1, 1), small, "png"),
  );
  const jpeg = await encodeImage(imagePixels(wide, 1, 2), wide, "jpeg");
  const lines = [
    { prompt: "describe the first picture please", images: ["img/a.png"], output_len: 5 },
    {
      prompt: "describe the inline picture please",
      image: `data:image/jpeg;base64,${encodeBase64(jpeg)}`,
      output_len: 5,
    },
    {
      prompt: "describe the remote picture please",
      images: ["http://127.0.0.1:1/x.png"],
      output_len: 5,
    },
    { prompt: "no picture here please", output_len: 5 },
  ];
  await Deno.writeTextFile(
    join(dir, "v.jsonl"),
    lines.map((l) => JSON.stringify(l)).join("\n"),
  );
}

function spec(dataset: string): WorkloadSpec {
  return { ...defaultWorkload(), dataset, turns: 2 };
}

Deno.test("a dataset's images are read once, sent with the first turn only, and described", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await visionDataset(dir);
    const w = await buildWorkload(spec(join(dir, "v.jsonl")), {
      count: 4,
      seed: 5,
      model: "m",
      embedded: true,
    });
    // Three distinct references: the file, the data URL and the remote URL.
    assert.equal(w.images?.length, 3);
    const info = w.info.images!;
    assert.equal(info.per_request, 3 / 4);
    assert.equal(info.distinct, 3);
    assert.equal(info.source, "dataset");
    assert.equal(info.transport, "data");
    assert.equal(info.by_reference, 1);
    assert.equal(info.format, "mixed");
    assert.deepEqual([...info.sizes].sort(), ["300x100", "56x84"]);
    const bytes = w.images!.reduce((n, img) => n + img.bytes, 0);
    assert.ok(bytes > 0);
    assert.equal(info.bytes_per_request_mean, bytes / 4);

    type Msgs = { messages: { content: unknown }[] };
    for (const item of w.items) {
      const first = workloadBody(w, item, "m", 0) as unknown as Msgs;
      const second = workloadBody(w, item, "m", 1) as unknown as Msgs;
      const content = first.messages.at(-1)!.content;
      if (item.firstTurnImages) {
        const parts = content as { type: string; image_url?: { url: string } }[];
        assert.equal(parts[0].type, "text");
        const url = parts[1].image_url!.url;
        const expected: { url: string } = w.images![item.firstTurnImages[0]];
        assert.equal(url, expected.url);
        assert.ok(url.startsWith("data:image/") || url.startsWith("http://127.0.0.1:1/"));
      } else assert.equal(typeof content, "string");
      assert.equal(typeof second.messages.at(-1)!.content, "string", "later turns: text only");
    }

    // --image-transport url: the runner's URLs replace the images' own.
    w.imageUrls = w.images!.map((_, k) => `http://127.0.0.1:9/images/${k}.png`);
    const withImage = w.items.find((it) => it.firstTurnImages)!;
    const body = workloadBody(w, withImage, "m") as unknown as {
      messages: { content: { image_url?: { url: string } }[] }[];
    };
    assert.match(
      body.messages.at(-1)!.content[1].image_url!.url,
      /^http:\/\/127\.0\.0\.1:9\/images\/\d\.png$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a missing or broken image fails before any request, naming the record", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "not.png"), "plain text");
    await Deno.writeTextFile(
      join(dir, "v.jsonl"),
      [
        `{"prompt": "a", "images": ["gone.png"]}`,
        `{"prompt": "b", "images": ["not.png"]}`,
        `{"prompt": "c", "images": ["data:image/png;base64,@@@"]}`,
      ].join("\n"),
    );
    await assert.rejects(
      () => preflightWorkload(spec(join(dir, "v.jsonl"))),
      (e: unknown) =>
        e instanceof ConfigError && /v\.jsonl:1: image gone\.png: no such file/.test(e.message) &&
        /v\.jsonl:3: image data:image\/png;base64,@@@: the data URL is not valid base64/.test(
          e.message,
        ),
    );
    // A file that is not an image is caught when it is read.
    await Deno.writeTextFile(
      join(dir, "w.jsonl"),
      `{"prompt": "what is in this picture", "images": ["not.png"]}`,
    );
    await assert.rejects(
      () =>
        buildWorkload(spec(join(dir, "w.jsonl")), {
          count: 1,
          seed: 1,
          model: "m",
          embedded: true,
        }),
      /image not\.png: not a PNG, JPEG, GIF or WebP image/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("other endpoints than chat use the records' text and count the images not sent", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // The files do not even exist: nothing reads them for a text-only endpoint.
    await Deno.writeTextFile(
      join(dir, "v.jsonl"),
      [
        `{"prompt": "what is in this picture", "images": ["gone.png", "also-gone.png"]}`,
        `{"prompt": "and in this other picture", "image": "missing.png"}`,
      ].join("\n"),
    );
    const s: WorkloadSpec = { ...defaultWorkload(), dataset: join(dir, "v.jsonl") };
    await assert.rejects(() => preflightWorkload(s), /gone\.png: no such file/);
    const text: WorkloadSpec = { ...s, endpoint: "completions" };
    await preflightWorkload(text);
    const w = await buildWorkload(text, { count: 2, seed: 1, model: "m", embedded: true });
    assert.equal(w.images?.length, 0);
    assert.equal(w.info.images, undefined);
    assert.equal(w.imagesNotSent, 3);
    assert.ok(w.items.every((it) => it.firstTurnImages === undefined));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
