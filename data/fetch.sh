#!/bin/sh
# Put data/raw/NAME in place: copy it from $DATA_CACHE/NAME when that exists, otherwise
# download it from the address in data/checksums; either way verify its md5 and sha256
# against data/checksums. A failure leaves no file behind.
# Usage: data/fetch.sh NAME
set -eu
name=$1
here=$(cd "$(dirname "$0")" && pwd)
line=$(awk -v n="$name" '$1 == n { print }' "$here/checksums")
if [ -z "$line" ]; then
	echo "fetch: $name: not listed in data/checksums" >&2
	exit 1
fi
# shellcheck disable=SC2086 # split the line into its fields
set -- $line
md5=$2 sha=$3 url=$5
dest="$here/raw/$(basename "$name")"
mkdir -p "$here/raw"
tmp=$(mktemp "$dest.tmp.XXXXXX")
trap 'rm -f "$tmp"' EXIT INT TERM HUP

if [ -n "${DATA_CACHE:-}" ] && [ -f "$DATA_CACHE/$name" ]; then
	cp "$DATA_CACHE/$name" "$tmp"
	from="$DATA_CACHE/$name"
else
	if [ -n "${DATA_CACHE:-}" ]; then
		echo "fetch: $DATA_CACHE/$name not found; downloading" >&2
	fi
	if ! err=$(curl -fsSL --retry 2 --connect-timeout 10 --max-time 300 -o "$tmp" "$url" 2>&1); then
		echo "fetch: $name: download from $url failed: ${err#curl: } (no network? set DATA_CACHE to a directory holding $name)" >&2
		exit 1
	fi
	from=$url
fi
got_md5=$(md5sum "$tmp" | cut -d' ' -f1)
got_sha=$(sha256sum "$tmp" | cut -d' ' -f1)
if [ "$got_md5" != "$md5" ] || [ "$got_sha" != "$sha" ]; then
	echo "fetch: $name from $from: checksum mismatch (md5 $got_md5, expected $md5)" >&2
	exit 1
fi
mv "$tmp" "$dest"
trap - EXIT INT TERM HUP
echo "fetch: $dest ($from, md5 ok)" >&2
