/** The Grafana dashboard's PromQL, for the tests that check it. */

const DASHBOARD = new URL("../../deploy/grafana/fakeai-bench.json", import.meta.url);

/** Every PromQL expression of the dashboard: panel targets and templating queries. */
export async function dashboardExprs(): Promise<string[]> {
  const d = JSON.parse(await Deno.readTextFile(DASHBOARD));
  const exprs: string[] = [];
  for (const p of d.panels) for (const t of p.targets ?? []) exprs.push(t.expr);
  for (const v of d.templating.list) if (v.type === "query") exprs.push(v.definition);
  return exprs;
}
