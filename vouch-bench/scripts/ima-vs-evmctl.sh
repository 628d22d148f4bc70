#!/usr/bin/env bash
# Times the replay of a 200,000-entry binary IMA list by Vouch against `evmctl ima_measurement`
# (ima-evm-utils) on the same file, whole process each, and prints the ratio. evmctl does the
# equivalent work: parse, recompute every template hash, replay the SHA-1 and SHA-256 banks with
# violations extended as ff..ff (--ignore-violations), and compare with the registers we give it.
#
# Usage: vouch-bench/scripts/ima-vs-evmctl.sh [ENTRIES]
#   VOUCH_CMD  command to time, with $F for the list (default: bin/vouch eventlog replay "$F" --format ima --json;
#              falls back to the bench main class dev.vouch.bench.ImaReplayMain when bin/vouch cannot replay IMA yet)
#   RUNS       hyperfine runs (default 10)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
. bin/java-home.sh
entries=${1:-200000}
runs=${RUNS:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
F=$work/binary_runtime_measurements
export F

command -v evmctl >/dev/null || { echo "evmctl missing: run bin/install-test-deps" >&2; exit 3; }

# the class path of the bench main: our classes plus BouncyCastle from the local repository
if [ ! -d vouch-bench/target/classes/dev/vouch/bench ] || [ ! -d vouch-evidence/target/classes ]; then
  ./mvnw -B -q -o install -DskipTests -pl vouch-core,vouch-evidence >&2
  ./mvnw -B -q -o compile -pl vouch-bench >&2
fi
bc_version=$(sed -n 's:.*<bouncycastle.version>\(.*\)</bouncycastle.version>.*:\1:p' pom.xml)
cp="vouch-bench/target/classes:vouch-evidence/target/classes:vouch-core/target/classes:$HOME/.m2/repository/org/bouncycastle/bcprov-jdk18on/$bc_version/bcprov-jdk18on-$bc_version.jar"
jvm=("$JAVA_HOME/bin/java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -cp "$cp")

echo "generating $entries entries..." >&2
"${jvm[@]}" dev.vouch.bench.ImaListGenerator "$F" "$entries" 42 >&2
ls -l "$F" >&2

default_cmd="bin/vouch eventlog replay \"\$F\" --format ima --json"
cmd=${VOUCH_CMD:-$default_cmd}
if ! out=$(eval "$cmd" 2>/dev/null) || ! grep -q '"banks"' <<<"$out"; then
  echo "'$cmd' cannot replay IMA here; timing dev.vouch.bench.ImaReplayMain instead" >&2
  cmd="${jvm[*]} dev.vouch.bench.ImaReplayMain \"\$F\" sha1,sha256"
  out=$(eval "$cmd")
fi
echo "$out" | cut -c1-200 >&2

# registers for evmctl: it reads PCR-00 .. PCR-10 in order, one bank per file
pcr() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["banks"][sys.argv[1]]["10"])' "$1" <<<"$out"; }
for bank in sha1 sha256; do
  v=$(pcr $bank); [ -n "$v" ] || { echo "no $bank PCR 10 in the replay output" >&2; exit 1; }
  for i in $(seq 0 9); do printf 'PCR-%02d: %s\n' "$i" "$(printf '0%.0s' $(seq 1 ${#v}))"; done >"$work/pcrs-$bank"
  echo "PCR-10: $v" >>"$work/pcrs-$bank"
done
evm="evmctl ima_measurement --ignore-violations --pcrs sha1,$work/pcrs-sha1 --pcrs sha256,$work/pcrs-sha256 $F"
$evm >/dev/null 2>&1 || { echo "evmctl does not accept the list or our registers" >&2; $evm; exit 1; }
echo "evmctl agrees with the replayed registers" >&2

if command -v hyperfine >/dev/null; then
  hyperfine -N -w 2 -r "$runs" --export-json "$work/h.json" -n evmctl "$evm" -n vouch "$(eval echo "$cmd")" >&2
  python3 - "$work/h.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
e, v = r["evmctl"]["median"], r["vouch"]["median"]
print(f"evmctl median {e*1000:.0f} ms, vouch median {v*1000:.0f} ms, vouch/evmctl = {v/e:.2f} (target <= 0.50)")
PY
else
  t() { local s e best=999999999999; for _ in $(seq 1 "$runs"); do s=$(date +%s%N); eval "$1" >/dev/null 2>&1; e=$(date +%s%N); (( e - s < best )) && best=$((e - s)); done; echo $best; }
  te=$(t "$evm"); tv=$(t "$cmd")
  echo "evmctl best $((te / 1000000)) ms, vouch best $((tv / 1000000)) ms, vouch/evmctl = $(awk "BEGIN{printf \"%.2f\", $tv/$te}") (target <= 0.50)"
fi
