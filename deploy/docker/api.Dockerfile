# syntax=docker/dockerfile:1
# netatlas API image: the NestJS API (dist/apps/api: main.js and its worker threads) serving the built
# web app (dist/apps/web), with the SQL migrations it applies on start. Build from the repository root:
#   docker build -f deploy/docker/api.Dockerfile -t netatlas/api:0.0.0 .
# tools/deploy runs this file's build steps outside Docker (npm ci, the Nx build, the prune) and starts
# the result, so a missing script or file fails a test before it fails an image build.

# --- build: the whole workspace, its dev dependencies and the Nx build -------------------------
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /src
ENV CI=true NX_DAEMON=false NX_NO_CLOUD=true
COPY package.json package-lock.json ./
# no install scripts, as on the project's machines (npm 11 skips unapproved ones): nothing needs one
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# prisma generate (offline), the esbuild bundle of the API and the Vite build of the web app
RUN npx nx run-many -t build -p api web --outputStyle=static
# production dependencies only: the bundle keeps its packages external. --omit=optional also drops
# Prisma's CLI and TypeScript (optional peers of @prisma/client) and embedded Postgres's binaries:
# the image always runs against DATABASE_URL.
RUN npm prune --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

# --- runtime: Node.js, the bundle, the web app, the migrations, production node_modules ---------
FROM node:20.20.2-bookworm-slim
ARG NETATLAS_VERSION=0.0.0
# HOST: listen on every address of the container (the API's default is loopback only); the API then
# refuses to start until viewers are configured (NETATLAS_ANONYMOUS, NETATLAS_OIDC_*, README "Security")
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    NETATLAS_WEB_DIR=/app/dist/apps/web \
    NETATLAS_DATA_DIR=/var/lib/netatlas \
    NETATLAS_VERSION=${NETATLAS_VERSION}
WORKDIR /app
RUN mkdir -p /var/lib/netatlas && chown node:node /var/lib/netatlas
# package.json: "type": "module" for the ESM bundle. The layout is the repository's, so the API
# finds prisma/migrations above dist/apps/api by itself (NETATLAS_MIGRATIONS_DIR is not needed).
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/prisma/migrations ./prisma/migrations
COPY --from=build /src/dist/apps/api ./dist/apps/api
COPY --from=build /src/dist/apps/web ./dist/apps/web
# the node image's unprivileged user (uid 1000); everything it runs is owned by root and read-only to it
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health/ready').then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/apps/api/main.js"]
