# Artigraph server image. Build: docker build -t artigraph .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/artigraph .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/artigraph /artigraph
ENV ARTIGRAPH_ADDR=0.0.0.0:8080 ARTIGRAPH_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
USER nonroot
ENTRYPOINT ["/artigraph"]
