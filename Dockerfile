# The `ecl serve` image: the package built once, then run as compiled JavaScript with production
# dependencies only. The sample workflow (examples/brief, a TypeScript module loaded through tsx)
# is named by ECL_WORKFLOWS; mount your own modules and point ECL_WORKFLOWS at them instead.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Native modules (better-sqlite3, the KurrentDB client's Rust bridge) ship prebuilt glibc
# binaries; the toolchain is only a fallback for a platform without one.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3 protobufjs esbuild
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json LICENSE ./
COPY bin ./bin
COPY examples ./examples
ENV ECL_WORKFLOWS=/app/examples/brief/brief.ts

RUN mkdir -p /data && chown node:node /data
USER node
WORKDIR /data
EXPOSE 3000

CMD ["node", "/app/bin/ecl.js", "serve", "--host", "0.0.0.0"]
