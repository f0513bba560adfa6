# syntax=docker/dockerfile:1
# One image for the whole suite: `groupbuy serve <service>` runs one service, `groupbuy migrate
# <service>` applies its migrations (see docker-compose.yml and deploy/).

# Build: the release profile (fat LTO) of the one binary, against the locked dependencies.
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target,id=groupbuy-target \
    cargo build --release --locked -p groupbuy && cp target/release/groupbuy /usr/local/bin/groupbuy

# Run: the binary and the libraries it links (libpq for PostgreSQL; SQLite is built in), as an
# unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libpq5 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/groupbuy --create-home groupbuy
COPY --from=build /usr/local/bin/groupbuy /usr/local/bin/groupbuy
USER 10001
WORKDIR /var/lib/groupbuy
ENV GROUPBUY_SERVER__HOST=0.0.0.0 \
    GROUPBUY_TELEMETRY__FORMAT=json
ENTRYPOINT ["groupbuy"]
CMD ["--help"]
