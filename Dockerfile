# Famichat container image: build every npm workspace, keep only production dependencies, run as the
# unprivileged `node` user. Database migrations run at every start-up (server/dist/main.js applies them
# before listening). See docs/deployment.md.
#
#   docker build -t famichat .
#   docker run --env-file .env -p 127.0.0.1:4000:4000 famichat
#
# scripts/check-deploy.sh (run by CI) builds this file for real and runs the compose files with it; on a
# machine without an image registry it first builds local stand-ins of the base images
# (deploy/standins/). So keep it Debian-based, and without a `# syntax=` line (that pulls an image).

# The Node.js LTS line (24 "Krypton"); `--build-arg NODE_VERSION=26` moves to the newer LTS.
ARG NODE_VERSION=24

# ---- manifests: only package.json files and the lockfile, so `npm ci` below is cached until one changes.
# (A new workspace, such as the coming web/ client, is picked up without editing this file.)
FROM node:${NODE_VERSION}-trixie-slim AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json -delete && find . -depth -type d -empty -delete

# ---- build: install everything, compile every workspace, then drop the development dependencies.
FROM node:${NODE_VERSION}-trixie-slim AS build
WORKDIR /app
COPY --from=manifests /src ./
# An optional build secret `ca_certificates` (a PEM bundle) is trusted by npm: for builds behind a TLS-inspecting
# proxy. Without it (the usual case) nothing changes, and it never reaches the image.
RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=ca_certificates if [ -s /run/secrets/ca_certificates ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca_certificates; fi && npm ci --no-audit --no-fund
COPY . .
# `npm run build` runs the build script of every workspace that has one: the server (server/dist) and the
# web client (web/dist, static files the server serves at /). A new workspace needs no change here.
RUN npm run build
RUN npm prune --omit=dev --no-audit --no-fund

# ---- runtime: the compiled workspaces with production dependencies only; files owned by root, read-only
# for the `node` user the server runs as.
FROM node:${NODE_VERSION}-trixie-slim AS runtime
# MALLOC_ARENA_MAX=2: glibc's per-thread arenas fragment under libvips (sharp); two keep image uploads' memory down.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000 FAMICHAT_DATA_DIR=/data MALLOC_ARENA_MAX=2
WORKDIR /app
# Debian's ffmpeg/ffprobe: video posters and the durations of videos and voice messages (optional elsewhere).
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null && rm -rf /var/lib/apt/lists/* && ffprobe -version | head -1
# /data holds the media directory (/data/media) unless S3 storage is configured: mount a volume there.
RUN mkdir -p /data && chown node:node /data
COPY --from=build /app ./
USER node
EXPOSE 4000
# /readyz answers 200 only when the database (and Redis, when configured) answer. Slim images have no curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/readyz').then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop): sockets get 1001 "going away", in-flight requests finish, exit within 10 s.
STOPSIGNAL SIGTERM
CMD ["node", "server/dist/main.js"]
