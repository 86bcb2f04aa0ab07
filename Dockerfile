# The sweeplab image: the API (`sweeplab api`) and the worker (`sweeplab worker`) of
# docker-compose.yml. TypeScript runs through tsx as on a developer's machine (bin/sweeplab.mjs), so
# there is no build step; the Temporal server runs in its own container, so no temporal binary here.
FROM node:20-bookworm-slim

WORKDIR /app

# Dependencies first, so editing the sources does not reinstall them. `npm ci` runs the postinstall
# (scripts/setup.mjs), which looks for a temporal CLI for the embedded dev server; this image has no
# python3, so it prints that none is available and exits 0, which is what we want here.
COPY package.json package-lock.json ./
COPY scripts/setup.mjs scripts/setup.mjs
RUN npm ci --omit=dev && npm cache clean --force

COPY . .

# Production bundling: the workflow code is bundled once here, not by every worker at start-up.
RUN node --import tsx scripts/bundle-workflows.ts /app/dist/workflow-bundle.js
ENV SWEEPLAB_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js

# `sweeplab` on PATH without npx: npm would stand between tini and node and does not pass SIGTERM
# on, so a worker would be killed instead of finishing its activities.
RUN chmod +x bin/sweeplab.mjs && ln -s /app/bin/sweeplab.mjs /usr/local/bin/sweeplab

# Inside a container the API must listen beyond loopback; publish the port to choose who reaches it.
ENV SWEEPLAB_API_HOST=0.0.0.0
EXPOSE 8787

USER node
CMD ["sweeplab", "--help"]
