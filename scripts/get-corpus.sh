#!/usr/bin/env bash
# Downloads a known corpus into corpora/NAME/, verifies every file's sha256 against
# corpora/manifests/NAME.tsv, and unpacks it. Then train a vocabulary and a model on it, e.g.
#   scripts/get-corpus.sh multi30k
#   build/flowseq vocab -i corpora/multi30k/train.de.gz -i corpora/multi30k/train.en.gz --vocab-size 8000 -o spm.model
# Options: --trust-unknown (accept files whose checksum the manifest does not know yet),
#          --manifests DIR, --dest DIR (defaults: corpora/manifests, corpora).
# URLs may be file:// (used by the tests). Needs curl and sha256sum.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
manifests="$root/corpora/manifests" dest="$root/corpora" trust=0 name=""
while [ $# -gt 0 ]; do
  case "$1" in
    --trust-unknown) trust=1 ;;
    --manifests) manifests=$2; shift ;;
    --dest) dest=$2; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    -*) echo "get-corpus: unknown option $1" >&2; exit 2 ;;
    *) name=$1 ;;
  esac
  shift
done
if [ -z "$name" ]; then
  echo "usage: scripts/get-corpus.sh [--trust-unknown] NAME   (known: $(cd "$manifests" && ls *.tsv | sed 's/\.tsv$//' | tr '\n' ' '))" >&2
  exit 2
fi
manifest="$manifests/$name.tsv"
[ -f "$manifest" ] || { echo "get-corpus: no manifest $manifest" >&2; exit 2; }
out="$dest/$name"
mkdir -p "$out"
line_no=0 failures=0
while IFS=$'\t' read -r url sha file action || [ -n "$url" ]; do
  line_no=$((line_no + 1))
  case "$url" in ''|'#'*) continue ;; esac
  if [ -z "$file" ] || [ -z "$action" ]; then
    echo "get-corpus: $manifest:$line_no: expected URL<TAB>SHA256<TAB>FILE<TAB>ACTION" >&2; exit 2
  fi
  target="$out/$file"
  if [ ! -f "$target" ]; then
    echo "[get-corpus] $url"
    curl -fL --retry 3 -o "$target.part" "$url" && mv "$target.part" "$target" \
      || { echo "get-corpus: download failed: $url" >&2; rm -f "$target.part"; failures=$((failures + 1)); continue; }
  fi
  actual=$(sha256sum "$target" | cut -d' ' -f1)
  if [ "$sha" = "unknown" ]; then
    echo "[get-corpus] $file: sha256 $actual (not yet in the manifest)"
    if [ $trust -ne 1 ]; then
      echo "get-corpus: refusing $file with an unverified checksum; check it and add it to $manifest, or pass --trust-unknown" >&2
      failures=$((failures + 1)); continue
    fi
  elif [ "$sha" != "$actual" ]; then
    echo "get-corpus: $file: sha256 mismatch: expected $sha, got $actual (removed)" >&2
    rm -f "$target"; failures=$((failures + 1)); continue
  fi
  case "$action" in
    keep) ;;
    gunzip) gzip -dc "$target" >"${target%.gz}" ;;
    untar) tar -xzf "$target" -C "$out" ;;
    *) echo "get-corpus: $manifest:$line_no: unknown action $action" >&2; exit 2 ;;
  esac
  echo "[get-corpus] $file: ok"
done <"$manifest"
[ $failures -eq 0 ] || { echo "get-corpus: $failures file(s) failed" >&2; exit 1; }
echo "[get-corpus] $name is ready in $out"
