# hookrunner container image: a static binary (CGO_ENABLED=0, pure-Go
# SQLite) on a small Debian base that keeps /bin/sh for deploy scripts.
#   docker build -t hookrunner .
#   docker run -p 8080:8080 -e GITHUB_WEBHOOK_SECRET=… \
#     -v $PWD/hooks.yaml:/etc/hookrunner/hooks.yaml:ro -v hookrunner-data:/var/lib/hookrunner hookrunner
# The image holds no config and no secret: it starts only with a config
# mounted at /etc/hookrunner/hooks.yaml (else it exits saying so). The
# quick-start scripts ship read-only under /etc/hookrunner/examples, where the
# example hooks.yaml finds them (relative paths resolve against the config's
# folder); they write their logs under the working directory, the volume.
ARG BINARY=build
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
ARG DATE=unknown
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.date=${DATE}" -o /out/hookrunner ./cmd/hookrunner

# A release (goreleaser) builds the binaries itself and passes
# --build-arg BINARY=prebuilt with the binary at the context's root; the
# default takes the one built above. BuildKit builds only the stage used.
FROM scratch AS prebuilt
COPY hookrunner /out/hookrunner

FROM ${BINARY} AS binary

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/hookrunner --shell /usr/sbin/nologin hookrunner \
 && install -d -o hookrunner -g hookrunner -m 0750 /var/lib/hookrunner \
 && install -d -m 0755 /etc/hookrunner
COPY --from=binary /out/hookrunner /usr/local/bin/hookrunner
COPY examples/quickstart /etc/hookrunner/examples/quickstart
ENV HOOKRUNNER_SERVER_LISTEN=:8080 \
    HOOKRUNNER_ADMIN_LISTEN=127.0.0.1:8081 \
    HOOKRUNNER_STORE_DSN=/var/lib/hookrunner/hookrunner.db
USER hookrunner
WORKDIR /var/lib/hookrunner
VOLUME ["/var/lib/hookrunner"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/hookrunner", "health", "--url", "http://127.0.0.1:8081/readyz"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/hookrunner"]
CMD ["serve", "--config", "/etc/hookrunner/hooks.yaml"]
