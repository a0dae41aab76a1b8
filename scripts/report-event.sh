#!/bin/sh
# report-event.sh: report a CI/CD event to Sextant using only POSIX sh and
# curl, for pipelines that do not have the sextant binary. It behaves like
# `sextant report`: same flags, same environment, same retries.
#
#   report-event.sh EVENT --repo OWNER/NAME [--sha S] [--ref R] [--env E]
#       [--status S] [--id ID] [--deployment D] [--metadata JSON] [--time T]
#       [--event-url U] [--duration-ms N] [--server URL]
#
# EVENT: push, deploy, test_pass, test_fail, incident_opened,
# incident_resolved, rollback, or a custom name ([a-z][a-z0-9_.-]*).
#
# Environment:
#   SEXTANT_URL        Sextant's base URL (or --server)
#   SEXTANT_TOKEN      API token with the events:write scope
#   SEXTANT_RETRY_FOR  seconds to keep retrying network errors, 429 and 5xx (60)
#   SEXTANT_RETRY_DELAY first wait in seconds, doubled after each failure (1)
#
# Prints the stored event's id on stdout. Exits 0 when stored, 1 when the
# server refused the event or could not be reached in time, 2 on a usage
# error. The token is passed to curl in a file, never on its command line.

set -u

me=report-event.sh

usage() {
	printf '%s: %s\n' "$me" "$1" >&2
	printf 'usage: %s EVENT --repo OWNER/NAME [--sha S] [--ref R] [--env E] [--status S] [--id ID] [--deployment D] [--metadata JSON] [--time T] [--event-url U] [--duration-ms N] [--server URL]\n' "$me" >&2
	exit 2
}

fail() {
	printf '%s: %s\n' "$me" "$1" >&2
	exit 1
}

# json_string prints $1 as a JSON string literal.
json_string() {
	printf '%s' "$1" | awk 'BEGIN { ORS = ""; printf "\"" }
		{
			gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, "\\t"); gsub(/\r/, "\\r")
			if (NR > 1) printf "\\n"
			printf "%s", $0
		}
		END { printf "\"" }'
}

# json_error prints the "error" string of the JSON answer on stdin, if any.
json_error() {
	awk '{ s = s $0 " " }
		END {
			i = index(s, "\"error\":\"")
			if (i == 0) exit
			s = substr(s, i + 9)
			while (length(s) > 0) {
				c = substr(s, 1, 1)
				if (c == "\"") break
				if (c == "\\") { c = substr(s, 2, 1); s = substr(s, 2) }
				out = out c
				s = substr(s, 2)
			}
			print out
		}'
}

command -v curl >/dev/null 2>&1 || fail "curl is required"

[ $# -ge 1 ] || usage "missing EVENT"
event=$1
shift
case $event in
-*) usage "missing EVENT before $event" ;;
esac

repo='' sha='' ref='' environment='' status='' id='' deployment='' metadata='' at='' link='' duration=''
server=${SEXTANT_URL:-}
while [ $# -gt 0 ]; do
	case $1 in
	--*=*)
		flag=${1%%=*}
		value=${1#*=}
		shift
		set -- "$flag" "$value" "$@"
		continue
		;;
	esac
	[ $# -ge 2 ] || usage "flag $1 needs a value"
	case $1 in
	--repo) repo=$2 ;;
	--sha) sha=$2 ;;
	--ref) ref=$2 ;;
	--env) environment=$2 ;;
	--status) status=$2 ;;
	--id) id=$2 ;;
	--deployment) deployment=$2 ;;
	--metadata) metadata=$2 ;;
	--time) at=$2 ;;
	--event-url) link=$2 ;;
	--duration-ms) duration=$2 ;;
	--server) server=$2 ;;
	*) usage "unknown flag $1" ;;
	esac
	shift 2
done

token=${SEXTANT_TOKEN:-}
retry_for=${SEXTANT_RETRY_FOR:-60}
delay=${SEXTANT_RETRY_DELAY:-1}

# The server checks everything; these checks catch the common mistakes
# before the network does.
case $event in
'' | [!a-z]* | *[!a-z0-9_.-]*) usage "event \"$event\" is not a known event or a custom name like [a-z][a-z0-9_.-]*" ;;
esac
case $repo in
'') usage "--repo is required (owner/name, or ALL)" ;;
ALL | ?*/?*) ;;
*) usage "--repo \"$repo\" is not owner/name or ALL" ;;
esac
case $duration in
*[!0-9]*) usage "--duration-ms \"$duration\" is not a number of milliseconds" ;;
esac
case $retry_for$delay in
*[!0-9]*) usage "SEXTANT_RETRY_FOR and SEXTANT_RETRY_DELAY are whole seconds" ;;
esac
[ -n "$server" ] || usage "no server: set SEXTANT_URL or --server"
[ -n "$token" ] || usage "no token: set SEXTANT_TOKEN"
case $event in
incident_opened | incident_resolved) [ -n "$id" ] || usage "--id is required for $event: it names the incident" ;;
esac

# The time and the id are fixed before the first attempt, so that every
# retry sends the same event and the server stores it once.
[ -n "$at" ] || at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
if [ -z "$id" ]; then
	id=$(od -An -N12 -tx1 /dev/urandom 2>/dev/null | tr -d ' \n')
	[ -n "$id" ] || id="$(date +%s)-$$"
	id="report-$id"
fi

server=${server%/}
case $server in
*/api/v1/events) url=$server ;;
*) url=$server/api/v1/events ;;
esac

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t sextant) || fail "cannot create a temporary directory"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
(umask 077 && printf 'Authorization: Bearer %s\n' "$token" >"$tmp/headers") || fail "cannot write the header file"

{
	printf '{"event":%s,"repo":%s,"time":%s,"id":%s' \
		"$(json_string "$event")" "$(json_string "$repo")" "$(json_string "$at")" "$(json_string "$id")"
	for pair in "sha:$sha" "ref:$ref" "environment:$environment" "status:$status" "deployment:$deployment" "url:$link"; do
		key=${pair%%:*}
		value=${pair#*:}
		[ -n "$value" ] && printf ',"%s":%s' "$key" "$(json_string "$value")"
	done
	[ -n "$duration" ] && printf ',"duration_ms":%s' "$duration"
	[ -n "$metadata" ] && printf ',"metadata":%s' "$metadata"
	printf '}'
} >"$tmp/body"

start=$(date +%s)
attempt=1
while :; do
	code=$(curl -sS -o "$tmp/answer" -w '%{http_code}' --max-time 10 -X POST \
		-H 'Content-Type: application/json' -H 'User-Agent: sextant-report-event.sh' -H "@$tmp/headers" \
		--data-binary "@$tmp/body" "$url" 2>"$tmp/curl-error")
	[ -n "$code" ] || code=000
	reason=$(json_error <"$tmp/answer")
	[ -n "$reason" ] || reason=$(head -n 1 "$tmp/answer" | cut -c 1-200)
	case $code in
	200 | 201)
		stored=$(tr ',' '\n' <"$tmp/answer" | sed -n 's/^[{ ]*"id": *\([0-9][0-9]*\).*/\1/p' | head -n 1)
		[ -n "$stored" ] || fail "the answer has no event id: is $url Sextant's?"
		printf '%s\n' "$stored"
		exit 0
		;;
	000) reason=$(cat "$tmp/curl-error") ;;
	429 | 5??) reason="HTTP $code: $reason" ;;
	*) fail "server refused the event (HTTP $code): $reason" ;;
	esac
	now=$(date +%s)
	if [ $((now + delay - start)) -gt "$retry_for" ]; then
		fail "giving up after $attempt attempt(s): $reason"
	fi
	printf '%s: attempt %s failed (%s); retrying in %ss\n' "$me" "$attempt" "$reason" "$delay" >&2
	sleep "$delay"
	attempt=$((attempt + 1))
	delay=$((delay * 2))
	[ "$delay" -le 15 ] || delay=15
done
