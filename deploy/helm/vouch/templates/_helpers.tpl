{{/* Names: every object is <release>-vouch[-part] unless fullnameOverride says otherwise. */}}
{{- define "vouch.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "vouch.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Selector labels of one part (server, trust-agent, measure, postgresql, nats). */}}
{{- define "vouch.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .part }}
{{- end -}}

{{- define "vouch.serviceAccountName" -}}
{{- default (include "vouch.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "vouch.image" -}}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) -}}
{{- end -}}

{{/* The server's in-cluster DNS name, which the certificate and the agents use. */}}
{{- define "vouch.serverHost" -}}
{{- printf "%s.%s.svc" (include "vouch.fullname" .) .Release.Namespace -}}
{{- end -}}

{{- define "vouch.serverUrl" -}}
{{- printf "https://%s:%d" (include "vouch.serverHost" .) (int .Values.server.port) -}}
{{- end -}}

{{- define "vouch.tlsSecretName" -}}
{{- if eq .Values.certificate.source "secret" -}}
{{- required "certificate.existingSecret is needed with certificate.source=secret" .Values.certificate.existingSecret -}}
{{- else -}}
{{- printf "%s-tls" (include "vouch.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "vouch.kekSecretName" -}}
{{- default (printf "%s-kek" (include "vouch.fullname" .)) .Values.kek.existingSecret -}}
{{- end -}}

{{- define "vouch.natsUrl" -}}
{{- if .Values.nats.enabled -}}
{{- printf "nats://%s-nats.%s.svc:4222" (include "vouch.fullname" .) .Release.Namespace -}}
{{- else -}}
{{- .Values.nats.external.url -}}
{{- end -}}
{{- end -}}

{{- define "vouch.jdbcUrl" -}}
{{- if .Values.postgresql.enabled -}}
{{- printf "jdbc:postgresql://%s-postgresql.%s.svc:5432/%s" (include "vouch.fullname" .) .Release.Namespace .Values.postgresql.database -}}
{{- else -}}
{{- .Values.postgresql.external.jdbcUrl -}}
{{- end -}}
{{- end -}}

{{/*
The server's vouch.yaml. Sections and keys come from .Values.config as they are (the server
refuses unknown keys at start, and the chart test loads this file with the server's ConfigLoader);
null values and empty lists are left out so that the server's defaults apply. Helm reads YAML
numbers as floats, which toYaml would print as 3.6e+03: whole numbers are written as integers.
The chart owns the listener, TLS, data directory and database keys; secrets never go into this
ConfigMap (they reach the server as environment variables from Secrets).
*/}}
{{- define "vouch.serverConfig" -}}
{{- $cfg := dict -}}
{{- range $section, $keys := .Values.config -}}
{{- $out := dict -}}
{{- range $k, $v := $keys -}}
{{- if kindIs "float64" $v -}}
{{- if ne (float64 (int64 $v)) $v -}}
{{- fail (printf "config.%s.%s must be a whole number" $section $k) -}}
{{- end -}}
{{- $v = int64 $v -}}
{{- end -}}
{{- if not (or (kindIs "invalid" $v) (and (kindIs "slice" $v) (empty $v))) -}}
{{- $_ := set $out $k $v -}}
{{- end -}}
{{- end -}}
{{- if $out -}}
{{- $_ := set $cfg $section $out -}}
{{- end -}}
{{- end -}}
{{- range $owned := list "data_dir" "http" "tls" -}}
{{- if hasKey $cfg $owned -}}
{{- fail (printf "config.%s is set by the chart (server.port, certificate.*)" $owned) -}}
{{- end -}}
{{- end -}}
{{- $storage := default dict (get $cfg "storage") -}}
{{- range $owned := list "jdbc_url" "username" "password" "kek_file" -}}
{{- if hasKey $storage $owned -}}
{{- fail (printf "config.storage.%s is set by the chart (postgresql.*, kek.*)" $owned) -}}
{{- end -}}
{{- end -}}
{{- $admin := default dict (get $cfg "admin") -}}
{{- range $secret := list "token" "bootstrap_password" -}}
{{- if hasKey $admin $secret -}}
{{- fail (printf "config.admin.%s is a secret: use admin.existingSecret" $secret) -}}
{{- end -}}
{{- end -}}
{{- $_ := set $cfg "data_dir" "/var/lib/vouch" -}}
{{- $_ := set $cfg "http" (dict "host" "0.0.0.0" "port" (int64 .Values.server.port)) -}}
{{- $_ := set $cfg "tls" (dict "mode" "files" "cert_file" "/etc/vouch/tls/tls.crt" "key_file" "/etc/vouch/tls/tls.key") -}}
{{- $jdbc := include "vouch.jdbcUrl" . -}}
{{- if $jdbc -}}
{{- $_ := set $storage "jdbc_url" $jdbc -}}
{{- $_ := set $storage "username" (ternary .Values.postgresql.username .Values.postgresql.external.username .Values.postgresql.enabled) -}}
{{- else -}}
{{- fail "the server needs PostgreSQL (postgresql.enabled or postgresql.external.jdbcUrl): H2 would live in the pod's emptyDir, one per replica, and be lost with the pod" -}}
{{- end -}}
{{- if $storage -}}
{{- $_ := set $cfg "storage" $storage -}}
{{- end -}}
{{- $hosts := default dict (get $cfg "hosts") -}}
{{- if not (kindIs "invalid" .Values.pollDuration) -}}
{{- if hasKey $hosts "poll_seconds" -}}
{{- fail "give pollDuration (minutes) or config.hosts.poll_seconds, not both" -}}
{{- end -}}
{{- if or (lt (float64 .Values.pollDuration) 1.0) (ne (float64 (int64 .Values.pollDuration)) (float64 .Values.pollDuration)) -}}
{{- fail "pollDuration is a whole number of minutes, 1 or more" -}}
{{- end -}}
{{- $_ := set $hosts "poll_seconds" (mul (int64 .Values.pollDuration) 60) -}}
{{- end -}}
{{- $nats := include "vouch.natsUrl" . -}}
{{- if and $nats (not (hasKey $hosts "nats_url")) -}}
{{- $_ := set $hosts "nats_url" $nats -}}
{{- end -}}
{{- if $hosts -}}
{{- $_ := set $cfg "hosts" $hosts -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}
