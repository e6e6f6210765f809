# The `ecl serve` image: TypeScript sources run through tsx (no build step), as `bin/ecl.js` does.
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production

# Native modules (better-sqlite3, the KurrentDB client's Rust bridge) ship prebuilt glibc
# binaries; the toolchain is only a fallback for a platform without one.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

COPY package.json package-lock.json ./
# tsx (which runs the sources) is a runtime dependency; test and build tools are not needed.
RUN npm ci --omit=dev && npm cache clean --force

COPY bin ./bin
COPY src ./src
COPY examples ./examples
COPY tsconfig.json ./

RUN mkdir -p /data && chown node:node /data
USER node
WORKDIR /data
EXPOSE 3000

CMD ["node", "/app/bin/ecl.js", "serve", "--host", "0.0.0.0"]
