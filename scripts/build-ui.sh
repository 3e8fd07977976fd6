#!/usr/bin/env bash
# Install the browser assets the gateway serves itself (GraphiQL with React, Swagger UI)
# from the npm registry, pinned by ui/package-lock.json, into app/static/{graphiql,swagger}/.
set -euo pipefail
cd "$(dirname "$0")/.."
(cd ui && npm ci --no-audit --no-fund --loglevel=error)
dest=app/static/graphiql
mkdir -p "$dest"
cp ui/node_modules/react/umd/react.production.min.js "$dest/"
cp ui/node_modules/react-dom/umd/react-dom.production.min.js "$dest/"
cp ui/node_modules/graphiql/graphiql.min.js "$dest/"
cp ui/node_modules/graphiql/graphiql.min.css "$dest/"
docs=app/static/swagger
mkdir -p "$docs"
cp ui/node_modules/swagger-ui-dist/swagger-ui-bundle.js "$docs/"
cp ui/node_modules/swagger-ui-dist/swagger-ui.css "$docs/"
