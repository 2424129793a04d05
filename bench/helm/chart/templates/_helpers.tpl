{{/* Labels of every gateway object. */}}
{{- define "mesh-bench.gatewayLabels" -}}
app: {{ .name }}
app.kubernetes.io/component: ingress-gateway
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/part-of: istio
istio: {{ .name }}
{{- end }}

{{/* Labels of every object of a service. */}}
{{- define "mesh-bench.serviceLabels" -}}
app: {{ .name }}
app.kubernetes.io/name: {{ .name }}
{{- end }}

{{/* A weighted route over the versions of a service (svc, ns, versions, domain). */}}
{{- define "mesh-bench.weightedRoute" -}}
{{- $host := printf "%s.%s.svc.%s" .svc .ns .domain -}}
{{- range $v := .versions }}
- destination:
    host: {{ $host }}
    subset: {{ $v.name }}
  weight: {{ $v.weight }}
{{- end }}
{{- end }}
