/**
 * For the SIGTERM test: a dashboard whose simulator spins forever in a worker (as a wedged
 * GPU worker would), with `serve`'s signal handling; prints "stuck job running" once a
 * request waits on that job.
 * @module
 */
import { startServer, stopOnSignals } from "../../src/web/serve.ts";
import type { SpectraSimulator } from "../../src/web/simulate.ts";
import { appDirs, fakeLoader, makeWorkspace } from "./_fixtures.ts";

const spin: SpectraSimulator = () =>
  new Promise(() => {
    const src = "self.onmessage = () => { for (;;) {} };";
    const w = new Worker(`data:text/javascript,${encodeURIComponent(src)}`, { type: "module" });
    w.postMessage(0); // never terminated here: only the process exit ends it
  });

const ws = await makeWorkspace();
const srv = await startServer({
  port: 0,
  hostname: "127.0.0.1",
  ...appDirs(ws),
  engine: { simulate: spin, loadRun: fakeLoader() },
});
stopOnSignals(srv);
globalThis.addEventListener("unload", () => Deno.removeSync(ws.root, { recursive: true }));
fetch(`${srv.url}api/simulate`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ model: "normal" }),
}).catch(() => {});
while (srv.app.services.queue.busy === 0) await new Promise((r) => setTimeout(r, 20));
console.log("stuck job running");
