# syntax=docker/dockerfile:1
# PiCloud container image.
#
#   docker build -t picloud .
#   docker run -p 8000:8000 -p 127.0.0.1:8001:8001 -v picloud-data:/data picloud
#   docker run -p 8000:8000 -e DATABASE_URL=postgres://user:pass@db:5432/picloud picloud
#
# Without DATABASE_URL, PiCloud uses embedded PGlite with its data in /data.
# Port 8000 is tenant traffic, 8001 the console and admin API (keep it private).
# Put Caddy in front for TLS: deploy/docker-compose.yml runs PostgreSQL, PiCloud
# and Caddy together (see caddy/README.md). Linted by deploy/deploy_test.ts.
#
# Stage 1 installs Deno from npm (the npm package ships the native binary; the
# Deno download hosts are not needed) and warms the dependency cache from the
# committed deno.lock. Stage 2 is a slim Debian with just the deno binary, the
# app and the warmed DENO_DIR, running as a non-root user.

ARG DENO_VERSION=2.9.6

FROM node:20-bookworm-slim AS build
ARG DENO_VERSION
ENV DENO_DIR=/deno-dir \
    DENO_NO_PACKAGE_JSON=1 \
    DENO_NO_UPDATE_CHECK=1 \
    NO_COLOR=1
# The postinstall script only copies the platform binary next to bin.cjs; take
# the native ELF from wherever it is so the runtime stage needs no Node.
RUN npm install -g --no-fund --no-audit --allow-scripts=deno "deno@${DENO_VERSION}" \
 && pkg="$(npm root -g)/deno" \
 && mkdir -p /out \
 && for f in "$pkg/deno" "$pkg"/node_modules/@deno/linux-*-glibc/deno; do \
      if [ -f "$f" ] && head -c 4 "$f" | grep -q ELF; then cp "$f" /out/deno; break; fi; \
    done \
 && chmod 755 /out/deno \
 && /out/deno --version | grep -q "^deno ${DENO_VERSION} "
ENV PATH=/out:$PATH

WORKDIR /app
# Dependencies first, so this layer is rebuilt only when they change.
# --frozen: fail if deno.lock does not match deno.json.
COPY deno.json deno.lock ./
RUN deno install --frozen

# Only the runtime sources (never .git, .picloud/ data, bench/, dist/, testdata/).
# Add new top-level source folders here (ui/ once it exists). Top-level *.ts: main.ts, server.ts...
# (their *_test.ts come along and are harmless).
COPY *.ts ./
COPY cli/ ./cli/
COPY common/ ./common/
COPY manager/ ./manager/
COPY orchestrator/ ./orchestrator/
COPY ops/ ./ops/
COPY executor/ ./executor/
COPY migrations/ ./migrations/
COPY ui/ ./ui/
# The console's island bundles are built here, so `deno task start` (which depends on the build)
# finds its inputs unchanged at run time and writes nothing.
RUN rm -rf ui/static/islands && deno task build
# Cache the whole module graph, including the executor child's entry points:
# executor processes run with --cached-only --no-remote --no-npm.
RUN deno cache --frozen main.ts $(ls executor/*.ts | grep -v '_test\.ts$')

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 picloud \
 && useradd --system --uid 10001 --gid picloud --home-dir /data --shell /usr/sbin/nologin picloud \
 && mkdir -p /data \
 && chown picloud:picloud /data

COPY --from=build /out/deno /usr/local/bin/deno
# DENO_DIR is writable by the app user (V8 code cache); the app itself is not.
COPY --from=build --chown=picloud:picloud /deno-dir /deno-dir
COPY --from=build /app /app

# HOSTNAME is PiCloud's listen address; Docker would otherwise set it to the
# container id, so pin it (same trick as other servers that read HOSTNAME).
ENV DENO_DIR=/deno-dir \
    DENO_NO_PACKAGE_JSON=1 \
    DENO_NO_UPDATE_CHECK=1 \
    NO_COLOR=1 \
    PICLOUD_DATA_DIR=/data \
    HOSTNAME=0.0.0.0 \
    PORT=8000 \
    PICLOUD_CONSOLE_PORT=8001

USER picloud
WORKDIR /app
EXPOSE 8000 8001
VOLUME /data
# `docker stop` waits 10 s by default; PiCloud drains for PICLOUD_SHUTDOWN_GRACE_MS (10 s), so
# give the container more (`docker stop -t 20`, compose's stop_grace_period).
STOPSIGNAL SIGTERM
# /healthz on the console port answers every caller. The image has no curl: Deno itself asks.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["deno", "eval", "--quiet", "const p = Deno.env.get('PICLOUD_CONSOLE_PORT') ?? '8001'; const r = await fetch('http://127.0.0.1:' + p + '/healthz').catch(() => null); Deno.exit(r?.ok ? 0 : 1);"]
# tini as PID 1: forwards SIGTERM to deno and reaps orphaned executor processes.
ENTRYPOINT ["/usr/bin/tini", "--"]
# The start task's command without its build step (the islands were built above): no work,
# and no write to /app, at each start.
CMD ["deno", "run", "-A", "--unstable-worker-options", "--v8-flags=--liftoff-only,--max-semi-space-size=2,--memory-reducer-delay-ms=2000,--gc-memory-reducer-start-delay-ms=2000,--single-threaded-gc", "main.ts", "serve"]
