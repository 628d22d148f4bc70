# Sourced by bin/ scripts: picks a JDK 21+ (JAVA_HOME if new enough, else the newest under /usr/lib/jvm).
vouch_java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1; }
if [ -z "${JAVA_HOME:-}" ] || [ ! -x "$JAVA_HOME/bin/java" ] || [ "$(vouch_java_major "$JAVA_HOME")" -lt 21 ] 2>/dev/null; then
  best=""; best_major=0
  for d in /usr/lib/jvm/*/; do
    d=${d%/}
    [ -x "$d/bin/javac" ] || continue
    m=$(vouch_java_major "$d"); [ -n "$m" ] || continue
    if [ "$m" -ge 21 ] && [ "$m" -gt "$best_major" ]; then best=$d; best_major=$m; fi
  done
  if [ -z "$best" ]; then
    echo "vouch: no JDK 21+ found (set JAVA_HOME or install one under /usr/lib/jvm)" >&2
    exit 3
  fi
  export JAVA_HOME=$best
fi
export PATH="$JAVA_HOME/bin:$PATH"
