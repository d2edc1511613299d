# hookrunner container image: a static binary (CGO_ENABLED=0, pure-Go
# SQLite) on a small Debian base that keeps /bin/sh for deploy scripts.
#   docker build -t hookrunner .
#   docker run -p 8080:8080 -v $PWD/hooks.yaml:/etc/hookrunner/hooks.yaml:ro -v hookrunner-data:/var/lib/hookrunner hookrunner
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
ARG DATE=unknown
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.date=${DATE}" -o /out/hookrunner ./cmd/hookrunner

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/hookrunner --shell /usr/sbin/nologin hookrunner \
 && install -d -o hookrunner -g hookrunner -m 0750 /var/lib/hookrunner \
 && install -d -m 0755 /etc/hookrunner
COPY --from=build /out/hookrunner /usr/local/bin/hookrunner
COPY hooks.yaml /etc/hookrunner/hooks.yaml
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
