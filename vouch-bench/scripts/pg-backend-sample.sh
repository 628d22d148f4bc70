#!/usr/bin/env bash
# Samples a PostgreSQL database every 2 s while a bench runs, one line per sample:
#   HH:MM:SS xact_commit|xact_rollback|tup_returned|tup_fetched|tup_inserted|tup_updated ticks=N
# (pg_stat_database of DB, and the CPU clock ticks, utime + stime from /proc, of the backends now
# connected to DB). Differences between two lines around the bench's window give transactions,
# rows read and PostgreSQL CPU per attestation. Needs psql (PGHOST etc.) and to run on the
# database's machine. Stop it with kill.
#
#   vouch-bench/scripts/pg-backend-sample.sh DB OUT
set -u
db=$1
out=$2
while true; do
  stats=$(psql -Atc "select xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted,
    tup_updated from pg_stat_database where datname = '$db'")
  ticks=0
  for p in $(psql -Atc "select pid from pg_stat_activity where datname = '$db'
      and pid <> pg_backend_pid()"); do
    t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
    ticks=$((ticks + ${t:-0}))
  done
  echo "$(date -u +%H:%M:%S) $stats ticks=$ticks" >>"$out"
  sleep 2
done
