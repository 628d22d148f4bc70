#!/usr/bin/env bash
# Makes the root file system every Vouch image is built on, from this machine alone (no registry
# is needed): a jlink'd Java runtime under /opt/java with its default CDS archive, the C library
# files that runtime links (found with ldd, copied from the build host), and /etc/passwd and
# /etc/group naming the non-root user 65532 "vouch". Nothing else: no shell, no package manager.
# Usage: make-root.sh JAVA_HOME OUT_DIR   (Linux only; the images are linux/amd64)
set -euo pipefail
jdk=$1
out=$2
rm -rf "$out"
mkdir -p "$out/opt" "$out/etc" "$out/tmp"
# the modules the launcher jar uses (jdeps over it), plus DNS, TLS and JMX names it loads by
# reflection; fixed here because jdeps cannot see service providers
modules=java.base,java.compiler,java.desktop,java.instrument,java.logging,java.management,java.naming,java.net.http,java.scripting,java.security.jgss,java.sql,java.xml,jdk.crypto.cryptoki,jdk.crypto.ec,jdk.management,jdk.naming.dns,jdk.net,jdk.unsupported,jdk.zipfs
"$jdk/bin/jlink" --add-modules "$modules" --output "$out/opt/java" --strip-debug \
  --no-header-files --no-man-pages --generate-cds-archive
# every shared object the runtime needs from the system, with the dynamic loader; the desktop
# natives (AWT, sound, fonts) are left without their X11 libraries: a headless server never
# loads them (java.desktop is there for java.beans)
libs=$(find "$out/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' \) \
  ! -name 'libawt_xawt.so' ! -name 'libjsound.so' ! -name 'libsplashscreen.so' ! -name 'libjawt.so' -print0 |
  xargs -0 ldd 2>/dev/null | awk '/=> \// {print $3} /^\s*\/lib.*ld-linux/ {print $1}' | sort -u)
for lib in $libs; do
  case "$lib" in "$out"/*) continue ;; esac
  mkdir -p "$out$(dirname "$lib")"
  cp -L "$lib" "$out$lib"
done
printf 'root:x:0:0:root:/root:/sbin/nologin\nvouch:x:65532:65532:vouch:/tmp:/sbin/nologin\n' >"$out/etc/passwd"
printf 'root:x:0:\nvouch:x:65532:\n' >"$out/etc/group"
printf 'hosts: files dns\n' >"$out/etc/nsswitch.conf"
