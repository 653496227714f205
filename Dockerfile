# syntax=docker/dockerfile:1
# COP CDS Hooks service. Build: docker build -t cop-cds-hooks .   Run: docker run -p 8080:8080 cop-cds-hooks
# The Node.js that CI tests (bin/node24, package.json devEngines): an exact version, not a moving tag.
ARG NODE_IMAGE=node:24.22.3-slim

# ---- build: install everything, compile TypeScript, then drop the dev dependencies ----------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` (the build) needs the sources, copied next; no dependency needs its
# install script here (better-sqlite3 ships its binaries, esbuild serves only tsx in development).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund --ignore-scripts

# ---- runtime: compiled JS and production dependencies only, as the unprivileged node user ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production PORT=8080 HOST=0.0.0.0
WORKDIR /app
# Files stay owned by root: the service only reads them.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
# dist/src (the server) and dist/hooks (the service definitions, discovered at start-up).
COPY --from=build /app/dist ./dist
# The integration CLI (npx cop-cds) runs the compiled dist/src/cli inside the image.
COPY --from=build /app/bin ./bin
# The one writable place: the SQLite feedback store (used unless DATABASE_URL is set). Mount a
# volume here to keep it across containers (docker/compose.yaml does).
RUN mkdir -p /app/data && chown node:node /app/data && chmod 700 /app/data
ENV FEEDBACK_DB_PATH=/app/data/cop-cds.sqlite
VOLUME ["/app/data"]
USER node
EXPOSE 8080
# Slim images have no curl: probe with Node's built-in fetch. /health/ready, so "healthy" means the
# store (and Redis, when REDIS_URL is set) answer and shutdown has not begun.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node flags, if any, are those of `npm start` (a test holds the two together). A small young
# generation (--max-semi-space-size=8): little survives a scavenge, so it costs no CPU and keeps
# peak RSS down (docs/operations.md, "Memory").
CMD ["node", "--max-semi-space-size=8", "dist/src/main.js"]
