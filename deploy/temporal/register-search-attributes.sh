#!/bin/sh
# One-shot job of docker-compose.yml (service search-attributes), run by the temporalio/admin-tools
# image once the server is up: makes sure sweeplab's namespace exists and carries the custom search
# attributes sweeps set (src/temporal/search-attributes.ts), which the dev server registers by itself
# but a real server does not. Idempotent: an existing namespace or attribute of the same type is
# fine, an attribute that exists with another type fails the job (the workers could not set it).
#
# Env: TEMPORAL_ADDRESS (host:port), TEMPORAL_NAMESPACE, TEMPORAL_NAMESPACE_RETENTION (e.g. 30d),
#      SWEEPLAB_SEARCH_ATTRIBUTES: space-separated Name=Type pairs, types as the CLI spells them.
set -eu

address=${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS (host:port) is required}
namespace=${TEMPORAL_NAMESPACE:-default}
retention=${TEMPORAL_NAMESPACE_RETENTION:-30d}
attributes=${SWEEPLAB_SEARCH_ATTRIBUTES:?SWEEPLAB_SEARCH_ATTRIBUTES (Name=Type ...) is required}
# 60 tries 2 s apart: the server answers a little after its port opens, and a namespace just
# created is unknown to the frontend until its namespace cache refreshes (about 10 s).
tries=60

# Runs "$@", succeeding also when it fails only because the thing already exists. An attribute
# that "already exists and has different type" returns 2: no retry mends that.
tolerate_existing() {
  if output=$("$@" 2>&1); then
    echo "$output"
    return 0
  fi
  case $output in
    *'different type'*)
      echo "$output" >&2
      return 2
      ;;
    *'already exists'* | *'AlreadyExists'*)
      echo "$output (fine)"
      return 0
      ;;
  esac
  echo "$output" >&2
  return 1
}

# Retries "$@" until it succeeds, returns 2 (a failure no retry mends) or the tries run out.
retry() {
  try=1
  while :; do
    status=0
    "$@" || status=$?
    if [ "$status" -eq 0 ]; then return 0; fi
    if [ "$status" -eq 2 ] || [ "$try" -ge "$tries" ]; then
      echo "search-attributes: failed after $try tries: $*" >&2
      return 1
    fi
    try=$((try + 1))
    sleep 2
  done
}

retry temporal operator cluster health --address "$address"

if ! temporal operator namespace describe --namespace "$namespace" --address "$address" >/dev/null 2>&1; then
  retry tolerate_existing temporal operator namespace create --namespace "$namespace" --retention "$retention" --address "$address"
fi

for pair in $attributes; do
  name=${pair%%=*}
  type=${pair#*=}
  retry tolerate_existing temporal operator search-attribute create --name "$name" --type "$type" --namespace "$namespace" --address "$address"
done

# Check the outcome in the server's own list (columns: Name, Type), so a tolerated error that
# left an attribute missing or mistyped fails the job here rather than the first sweep later.
listing=$(temporal operator search-attribute list --namespace "$namespace" --address "$address")
for pair in $attributes; do
  name=${pair%%=*}
  type=${pair#*=}
  actual=$(echo "$listing" | awk -v name="$name" '$1 == name { print $2 }')
  if [ "$actual" != "$type" ]; then
    echo "search-attributes: \"$name\" is \"${actual:-missing}\" on namespace \"$namespace\", expected \"$type\"" >&2
    exit 1
  fi
  echo "search-attributes: \"$name\" $type on namespace \"$namespace\""
done
