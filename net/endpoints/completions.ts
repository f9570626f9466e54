/**
 * `/v1/completions`: a prompt in, text (or its pieces) out.
 *
 * @module
 */

import { choicesEndpoint, type EndpointDef, str } from "../endpoint.ts";

/** Text completions. */
export const COMPLETIONS: EndpointDef = choicesEndpoint(
  "completions",
  "/v1/completions",
  (choice) => ({ content: str(choice?.text), reasoning: "", hasTools: false }),
);
