# syntax=docker/dockerfile:1
#
# TLC inference server images.
#
#   docker build -t tlc:0.1.0 .                            # CPU image (the default, last stage)
#   docker build -t tlc:0.1.0-cuda --target cuda .         # CUDA 12 + cuDNN 9 image (linux/amd64 only)
#
# See docs/deploy.md for running, mounting models and the environment variables.

ARG NODE_VERSION=20
# ONNX Runtime's CUDA packages need CUDA 12.x and cuDNN 9.x (any 12.x minor works by CUDA minor version
# compatibility); onnxruntime-node ships its CUDA provider for linux/x64 only.
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu22.04

# ---- build: all dependencies, TypeScript → dist/ ---------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
# .npmrc sets onnxruntime-node-install=skip: the CPU binaries ship inside the npm package, the CUDA ones are
# fetched explicitly in the cuda-deps stage below.
COPY package.json package-lock.json .npmrc ./
# --ignore-scripts: `prepare` (tsc) needs the sources, which are copied next; no dependency needs its
# install script for the build (onnxruntime-node's is skipped by .npmrc anyway).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build
# The served models: trained / exported / compressed by the project's own script (models/manifest.json).
COPY scripts ./scripts
COPY models ./models
RUN npm run models:build -- --cache /app/.cache

# ---- deps: production dependencies only -----------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# --ignore-scripts keeps `prepare` (tsc, a dev dependency) from running without TypeScript installed.
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

# ---- cuda-deps: production dependencies + onnxruntime-node's CUDA 12 execution provider --------------------
FROM deps AS cuda-deps
# onnxruntime-node's own install script with its CUDA switch: it downloads libonnxruntime_providers_cuda.so
# (and _shared, _tensorrt) from the Microsoft.ML.OnnxRuntime.Gpu.Linux NuGet package matching the npm version.
# The ONNXRUNTIME_NODE_INSTALL variable takes precedence over the .npmrc skip.
RUN ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js \
 && test -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so

# ---- cuda: runtime image on NVIDIA's CUDA + cuDNN runtime --------------------------------------------------
FROM ${CUDA_IMAGE} AS cuda
# Node 20 is copied from the official image (its binary needs glibc >= 2.28; Ubuntu 22.04 has 2.35), which
# avoids fetching a third-party apt repository. npm is not needed at run time.
COPY --from=build /usr/local/bin/node /usr/local/bin/node
RUN useradd --uid 1000 --user-group --no-create-home --home-dir /app --shell /usr/sbin/nologin tlc
WORKDIR /app
ENV NODE_ENV=production \
    PORT=8080 \
    TLC_MODELS=/app/models \
    TLC_DEVICE=cuda
COPY --from=cuda-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json openapi.yaml ./
COPY --from=build /app/.cache/models ./models
USER 1000:1000
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/v2/health/live',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/cli/tlc.js", "serve"]

# ---- cpu: the default image ----------------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS cpu
WORKDIR /app
ENV NODE_ENV=production \
    PORT=8080 \
    TLC_MODELS=/app/models \
    TLC_DEVICE=cpu
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json openapi.yaml ./
COPY --from=build /app/.cache/models ./models
# uid 1000 is the image's `node` user; numeric so that Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/v2/health/live',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/cli/tlc.js", "serve"]
