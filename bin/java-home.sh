# Sourced by bin/ scripts: picks a JDK 21+ (JAVA_HOME if new enough, else the newest under
# /usr/lib/jvm) and exports JAVA_HOME and VOUCH_JAVA_MAJOR. Reads each JDK's `release` file rather
# than starting a JVM, so that it costs nothing on every CLI call.
vouch_java_major() {
  local v
  v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null)
  if [ -z "$v" ] && [ -x "$1/bin/java" ]; then
    v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1)
  fi
  echo "${v:-0}"
}
VOUCH_JAVA_MAJOR=0
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  VOUCH_JAVA_MAJOR=$(vouch_java_major "$JAVA_HOME")
fi
if [ "$VOUCH_JAVA_MAJOR" -lt 21 ]; then
  best=""; best_major=0
  for d in /usr/lib/jvm/*/; do
    d=${d%/}
    [ -x "$d/bin/javac" ] || continue
    m=$(vouch_java_major "$d")
    if [ "$m" -ge 21 ] && [ "$m" -gt "$best_major" ]; then best=$d; best_major=$m; fi
  done
  if [ -z "$best" ]; then
    echo "vouch: no JDK 21+ found (set JAVA_HOME or install one under /usr/lib/jvm)" >&2
    exit 3
  fi
  export JAVA_HOME=$best
  VOUCH_JAVA_MAJOR=$best_major
fi
export VOUCH_JAVA_MAJOR
export PATH="$JAVA_HOME/bin:$PATH"
