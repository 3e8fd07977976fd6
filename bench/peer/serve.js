// The benchmark's peer, variant (e): PostGraphile v4 serving the benchmark's PostgreSQL
// database in one Node process (bench/servers.py starts it, docs/performance.md).
//
//   node serve.js --port PORT --pool-size N     (the database URL and JWT secret from the
//                                                environment: BENCH_PEER_DATABASE_URL,
//                                                BENCH_JWT_SECRET)
//
// POST /graphql is PostGraphile's middleware; GET /healthz answers once the schema is
// built (the server listens only then); GET /stats counts the statements sent on the
// pool's connections (transaction control left out), as the baseline's /stats does.
"use strict";

const http = require("http");
const { Pool } = require("pg");
const { postgraphile } = require("postgraphile");

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  if (at >= 0 && at + 1 < process.argv.length) return process.argv[at + 1];
  if (fallback === undefined) throw new Error(`missing ${name}`);
  return fallback;
}

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const port = Number(option("--port"));
const poolSize = Number(option("--pool-size", "10"));
const stats = { statements: 0 };
const control = /^\s*(begin|commit|rollback|savepoint|release)\b/i;

const pool = new Pool({ connectionString: required("BENCH_PEER_DATABASE_URL"), max: poolSize });
pool.on("connect", (client) => {
  const query = client.query;
  client.query = function counted(...args) {
    const text = typeof args[0] === "string" ? args[0] : args[0] && args[0].text;
    if (typeof text === "string" && !control.test(text)) stats.statements += 1;
    return query.apply(this, args);
  };
});

const graphql = postgraphile(pool, "public", {
  graphiql: false,
  watchPg: false,
  disableQueryLog: true,
  retryOnInitFail: false,
  simpleCollections: "omit",
  legacyRelations: "omit",
  setofFunctionsContainNulls: false,
  enableQueryBatching: false,
  // The gateway's own tokens (HS256, its issuer and audience), verified on every request
  // that carries one; the claims reach PostgreSQL as jwt.claims.* settings.
  jwtSecret: required("BENCH_JWT_SECRET"),
  jwtVerifyOptions: { algorithms: ["HS256"], audience: "gateway", issuer: "gateway" },
});

const server = http.createServer((req, res) => {
  if (req.method === "GET" && (req.url === "/healthz" || req.url === "/stats")) {
    const body = req.url === "/stats" ? JSON.stringify(stats) : '{"ok":true}';
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(body);
    return;
  }
  graphql(req, res);
});

graphql
  .getGraphQLSchema()
  .then(() => server.listen(port, "127.0.0.1"))
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.close();
    pool.end().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
