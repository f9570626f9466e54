/**
 * `/v1/embeddings`: inputs in, vectors out; never streamed, no generated token.
 *
 * @module
 */

import { type EndpointDef, readUsage } from "../endpoint.ts";

/** Embeddings. */
export const EMBEDDINGS: EndpointDef = {
  name: "embeddings",
  path: "/v1/embeddings",
  streams: false,
  tokenless: true,
  prepare: (body) => body,
  readAnswer(b, rec) {
    readUsage(b.usage as never, rec);
    if (!Array.isArray(b.data) || b.data.length === 0) return "response has no data array";
    const bad = b.data.findIndex((d) =>
      !d || (!Array.isArray(d.embedding) && typeof d.embedding !== "string")
    );
    if (bad >= 0) return `data[${bad}] has no embedding`;
    return { content: "", reasoning: "", hasTools: false };
  },
  streamEvent: () => null,
};
