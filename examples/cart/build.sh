#!/bin/sh
# Build the cart service into a static binary next to its Dockerfile; `chaoskit up` then
# builds the image from that folder (the topology's `build: service`).
set -eu
cd "$(dirname "$0")/service"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o cart .
echo "built $(pwd)/cart"
