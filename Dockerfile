# syntax=docker/dockerfile:1
# Multi-stage build: compile in the official Rust image, run from a small
# distroless image as a non-root user. Templates, CSS and migrations are
# compiled into the binary, so the runtime stage holds only the binary.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first, so source edits do not rebuild them.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked --bin mocklink || true
COPY . .
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin mocklink

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/mocklink /usr/local/bin/mocklink
USER nonroot:nonroot
WORKDIR /home/nonroot
# Every interface at $PORT (a platform that sets PORT replaces it).
ENV PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["mocklink", "healthcheck"]
ENTRYPOINT ["mocklink"]
CMD ["serve"]
