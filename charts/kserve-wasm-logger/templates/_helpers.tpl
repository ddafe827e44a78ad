{{/* Labels every object carries (kustomize's labels of istio/base). */}}
{{- define "kwl.partOf" -}}
app.kubernetes.io/part-of: kserve-wasm-logger
{{- end -}}

{{/* The installer's labels (selector and pods). */}}
{{- define "kwl.installerLabels" -}}
app.kubernetes.io/name: kserve-wasm-logger
app.kubernetes.io/component: installer
{{- end -}}

{{- define "kwl.namespace" -}}
{{ required "namespace.name is required" .Values.namespace.name }}
{{- end -}}
