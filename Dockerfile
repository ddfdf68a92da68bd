# forewarn container image: a static Go binary on distroless, run as non-root.
#
#   docker build -t forewarn --build-arg VERSION=$(git describe --tags --always) .
#   docker run --rm -e GITHUB_TOKEN -v "$PWD/config:/config:ro" -v forewarn-state:/state forewarn run
#
# The build line below is the one CI runs outside Docker (deploy/validate
# TestStaticBuild extracts it and checks the binary is static): keep it on
# one line.
#
# Base images are named in full (registry/repository:tag), so docker build,
# podman build and buildah bud resolve them without a registries
# configuration, and pinned: the Go image by its exact release; distroless
# publishes no version tags, so it is named by its :nonroot tag and, once a
# digest has been verified, pinned with @sha256:<digest> after the tag. To
# refresh (run where the registry is reachable, then commit the result):
#   crane digest gcr.io/distroless/static-debian12:nonroot
#   docker buildx imagetools inspect docker.io/library/golang:1.26.8-bookworm
# deploy/validate TestDockerfile checks the names and pins; TestImageBuilds
# builds the image when a builder with an engine is at hand.

FROM docker.io/library/golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X github.com/forewarn/forewarn/internal/cli.Version=${VERSION}" -o /out/forewarn ./cmd/forewarn

# distroless/static: CA certificates, tzdata and /etc/passwd with the
# nonroot user (65532), nothing else — no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/forewarn /usr/local/bin/forewarn
USER 65532:65532
WORKDIR /state
ENV FOREWARN_CONFIG=/config/forewarn.yaml
# serve's /healthz, /readyz and /metrics
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/forewarn"]
CMD ["run"]
