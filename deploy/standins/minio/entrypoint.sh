#!/bin/sh
# As MinIO's image: the arguments are a `minio` command line, with or without the leading `minio`.
set -eu
[ "${1:-}" = minio ] && shift
exec /usr/bin/minio "$@"
