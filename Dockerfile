# sosie's images, multi-stage. Nothing here is built by CI (no Docker engine
# there); jobs/internal/job/dockerfile_test.go keeps the versions below equal
# to go.mod's, and .ci/run lints this file.
#
#   docker build --target worker   -t REGION-docker.pkg.dev/PROJECT/sosie/worker:TAG .
#   docker build --target launcher -t REGION-docker.pkg.dev/PROJECT/sosie/launcher:TAG .
#
# worker:   the Dataflow (or any portable runner's) SDK harness image: Beam's Go
#           SDK container of the exact Beam version in go.mod, its boot program
#           as entrypoint, sosie's job binaries beside it. Pass it to a job as
#           --sdk_container_image.
# launcher: a Dataflow Flex Template launcher for jobs/lookalike (set
#           FLEX_TEMPLATE_GO_BINARY to another job's binary to launch that one).

ARG GO_VERSION=1.26.8
ARG BEAM_VERSION=2.77.0
# Dated tag of gcr.io/dataflow-templates-base/go-template-launcher-base; take
# the latest listed in Dataflow's "Flex Template base images" page.
ARG LAUNCHER_TAG=20260122_RC00

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Static binaries: the worker image's libc does not matter.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ \
        ./jobs/lookalike ./jobs/featurize ./jobs/train ./jobs/score ./jobs/seeds ./jobs/synth

FROM apache/beam_go_sdk:${BEAM_VERSION} AS worker
COPY --from=build /out/ /opt/sosie/
COPY configs/schedule/run-day.sh /opt/sosie/
# Beam's boot program starts the worker harness; a job binary started by it
# with --worker re-enters beam.Init and serves the runner.
ENTRYPOINT ["/opt/apache/beam/boot"]

FROM gcr.io/dataflow-templates-base/go-template-launcher-base:${LAUNCHER_TAG} AS launcher
COPY --from=build /out/ /template/
COPY configs/ /template/configs/
ENV FLEX_TEMPLATE_GO_BINARY=/template/lookalike
