# Touchpoint: one small, non-root image.
# docker build -t touchpoint .
# docker run -p 8080:8080 -v touchpoint-data:/data touchpoint

FROM rust:1.95-slim-bookworm AS build
# make: jemalloc (the allocator) is built from source.
RUN apt-get update && apt-get install -y --no-install-recommends make \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so source edits don't rebuild them (.cargo/config.toml
# holds jemalloc's build options).
COPY Cargo.toml Cargo.lock ./
COPY .cargo .cargo
RUN mkdir -p src benches examples \
 && echo 'fn main() {}' > src/main.rs && echo '' > src/lib.rs \
 && for b in $(grep -A1 '^\[\[bench\]\]' Cargo.toml | sed -n 's/^name = "\(.*\)"/\1/p'); do echo 'fn main() {}' > benches/$b.rs; done \
 && cargo build --release --locked --bin touchpoint \
 && rm -rf src
COPY . .
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin touchpoint \
 && strip target/release/touchpoint

FROM debian:bookworm-slim
# Fonts for the axis labels of the chart in email reports (TLS roots are built in).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin touchpoint \
 && mkdir -p /data && chown touchpoint /data
COPY --from=build /src/target/release/touchpoint /usr/local/bin/touchpoint
USER touchpoint
ENV TOUCHPOINT__SERVER__LISTEN=0.0.0.0:8080 \
    TOUCHPOINT__STORAGE__DATA_DIR=/data
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["touchpoint", "healthcheck"]
ENTRYPOINT ["touchpoint"]
CMD ["serve"]
