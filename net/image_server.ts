/**
 * A loopback file server for a workload's images (`--image-transport url`): requests carry
 * `http://127.0.0.1:PORT/images/K.EXT` and the server under test fetches them, as it would
 * from a media store. It listens on 127.0.0.1 only, serves only the images it was given, and
 * counts what it answered so the report can say whether the server fetched them.
 *
 * It runs on the client's own thread: serving is a write of bytes already in memory.
 *
 * @module
 */

/** An image to serve: its bytes and MIME type. */
export interface ServedImage {
  /** The encoded image. */
  data: Uint8Array;
  /** `image/png`… */
  mime: string;
  /** Its format, used as the URL's extension (`png`…). */
  format: string;
}

/** A running image file server. */
export interface ImageServer {
  /** The URL of image `k` (null for an index it does not serve). */
  urlOf(k: number): string | null;
  /** `GET`s answered with an image. */
  readonly served: number;
  /** Stop listening; open fetches are cut. */
  close(): Promise<void>;
}

/**
 * Serve `images` (entries without bytes are skipped) on 127.0.0.1 on a free port.
 *
 * @param images the images, by index.
 */
export function serveImages(images: readonly (ServedImage | null)[]): ImageServer {
  let served = 0;
  const ac = new AbortController();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: ac.signal,
    onListen: () => {},
  }, (req) => {
    const m = /^\/images\/(\d+)\.[a-z]+$/.exec(new URL(req.url).pathname);
    const img = m ? images[Number(m[1])] : null;
    if (!img || (req.method !== "GET" && req.method !== "HEAD")) {
      return new Response("not found\n", { status: 404 });
    }
    if (req.method === "GET") served++;
    return new Response(req.method === "HEAD" ? null : img.data as Uint8Array<ArrayBuffer>, {
      headers: {
        "content-type": img.mime,
        "content-length": String(img.data.length),
        "cache-control": "no-store",
      },
    });
  });
  const port = server.addr.port;
  return {
    urlOf: (k) => {
      const img = images[k];
      return img ? `http://127.0.0.1:${port}/images/${k}.${img.format}` : null;
    },
    get served() {
      return served;
    },
    close: async () => {
      ac.abort();
      await server.finished;
    },
  };
}
