#!/usr/bin/env bash
# wmsim's entry point for a fresh checkout:
#   ./dev.sh wmsim [ARGS…]   build (release) and run the CLI, e.g. ./dev.sh wmsim simulate
#   ./dev.sh test [ARGS…]    build and run the whole test suite (ARGS go to `swift test`)
# Both first make sure the system packages are installed (scripts/ensure-deps.sh).
set -euo pipefail
cd "$(dirname "$0")"
cmd=${1:-}
shift || true
case "$cmd" in
  wmsim)
    scripts/ensure-deps.sh
    swift build -c release --product wmsim >&2
    exec .build/release/wmsim "$@"
    ;;
  test)
    scripts/ensure-deps.sh
    swift build --build-tests
    exec swift test --skip-build --disable-swift-testing "$@"
    ;;
  *)
    echo "usage: ./dev.sh wmsim [ARGS…] | ./dev.sh test [ARGS…]" >&2
    exit 64
    ;;
esac
