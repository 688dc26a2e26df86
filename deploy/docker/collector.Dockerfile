# syntax=docker/dockerfile:1
# netatlas collector image: the bundled node agent (dist/apps/collector/main.js) with the tools its
# readers run. Build from the repository root:
#   docker build -f deploy/docker/collector.Dockerfile -t netatlas/collector:0.0.0 .
# tools/deploy runs this file's build steps outside Docker and starts the result.
#
# It runs as uid 0 with every capability dropped but NET_ADMIN (set by docker-compose.yml and the
# DaemonSet, not here): `ipset save` and `ipvsadm -Ln` need CAP_NET_ADMIN; `ip`/`bridge` dumps and
# `ip monitor` need none; uid 0 owns the BGP daemons' root-owned control sockets (BIRD's bird.ctl)
# without CAP_DAC_OVERRIDE. README "Deploy" has the whole reasoning.

# --- build: the whole workspace, its dev dependencies and the Nx build -------------------------
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /src
ENV CI=true NX_DAEMON=false NX_NO_CLOUD=true
COPY package.json package-lock.json ./
# no install scripts, as on the project's machines (npm 11 skips unapproved ones): nothing needs one
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npx nx run collector:build --outputStyle=static
# production dependencies only, then just the packages the bundle imports (socket.io-client and what
# it needs) beside it: the API's dependencies have no place in the collector image
RUN npm prune --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && node deploy/docker/bundle-deps.mjs dist/apps/collector/main.js dist/apps/collector/node_modules

# --- runtime: Node.js, the tools the readers run, the bundle -------------------------------------
FROM node:20.20.2-bookworm-slim
ARG NETATLAS_VERSION=0.0.0
# ip, bridge (iproute2); ipset; birdc (bird2); gobgp (gobgpd); vtysh (frr); ipvsadm; grep (the sysctls
# reader; essential, already in the base image). Versions follow the base image's Debian release
# (bookworm), whose output formats the parsers' fixtures come from.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends iproute2 ipset bird2 gobgpd frr ipvsadm \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    NETATLAS_VERSION=${NETATLAS_VERSION}
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/dist/apps/collector ./dist/apps/collector
# the V8 flags keep its memory down (apps/collector/src/node-flags.ts)
ENTRYPOINT ["node", "--max-semi-space-size=2", "--optimize-for-size", "dist/apps/collector/main.js"]
CMD ["--help"]
