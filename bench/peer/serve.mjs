// The peer server of the read-path benchmark (issue #21): PostGraphile 5
// with its Amber preset over the bench-only schema bench/peer prepares, on
// one Node process, as its documentation's Node server example runs it.
// bench/peer copies this file into the installation folder and sets:
// PEER_DATABASE_URL, PEER_SCHEMA, PEER_TENANT (the workspace id every
// request is restricted to) and PEER_PORT.
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const tenant = env("PEER_TENANT");

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ connectionString: env("PEER_DATABASE_URL"), schemas: [env("PEER_SCHEMA")] })],
  grafast: {
    // Every request runs in a transaction that sets the tenant the views
    // filter on, as a PostGraphile deployment passes a JWT's claims to RLS.
    // PEER_LOG_STATEMENTS=1 (for a look at its SQL, never while timing)
    // logs every statement of a request to the server's log.
    context: () => ({
      pgSettings: { "bench_peer.tenant_id": tenant, ...(process.env.PEER_LOG_STATEMENTS ? { log_statement: "all" } : {}) },
    }),
    explain: false,
  },
  grafserv: { graphiql: false, watch: false, maxRequestLength: 1 << 20 },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (e) => {
  console.error(e);
  process.exit(1);
});
serv.addTo(server).catch((e) => {
  console.error(e);
  process.exit(1);
});
server.listen(Number(env("PEER_PORT")), "127.0.0.1", () => console.log(`listening on ${env("PEER_PORT")}`));

// The benchmark holds this process's stdin open: when it ends, however it
// ends, so does this server.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
