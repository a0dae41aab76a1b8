# syntax=docker/dockerfile:1
# Multi-stage build: a static, pure-Go binary (SQLite is modernc, no cgo) on
# distroless/static, which has CA certificates and a non-root user but no
# shell; the health check therefore runs the binary itself.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/sextant-dev/sextant/internal/cli.Version=${VERSION}" \
      -o /out/sextant ./cmd/sextant \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sextant /usr/local/bin/sextant
# The embedded SQLite database lives on a volume owned by the nonroot user.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV SEXTANT_ADDR=0.0.0.0:8080 \
    SEXTANT_DB=/data/sextant.db \
    SEXTANT_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/sextant", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/sextant"]
CMD ["serve"]
