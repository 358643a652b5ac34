#!/bin/sh
# As the official image: `redis-server` started without a config file runs with protected mode off.
set -eu
if [ "${1:-}" = redis-server ]; then
  case "${2:-}" in
    *.conf) ;;
    *) shift && set -- redis-server --protected-mode no "$@" ;;
  esac
fi
exec setpriv --reuid=redis --regid=redis --init-groups "$@"
