{{- define "modulus.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "modulus.fullname" -}}
{{- printf "%s-%s" .Release.Name (ternary "compiler" "installer" .Values.allowCompilation) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "modulus.labels" -}}
app.kubernetes.io/name: {{ include "modulus.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: {{ ternary "compiler" "installer" .Values.allowCompilation }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "modulus.selectorLabels" -}}
app.kubernetes.io/name: {{ include "modulus.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: {{ ternary "compiler" "installer" .Values.allowCompilation }}
{{- end -}}

{{- define "modulus.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "modulus.devImage" -}}
{{- printf "%s:%s" .Values.devImage.repository (default (printf "%s-%s" .Values.arch .Values.gardenlinuxVersion) .Values.devImage.tag) -}}
{{- end -}}

{{/* Environment shared by every modulus container: values as MODULUS_* variables, credentials as secret references. */}}
{{- define "modulus.env" -}}
- name: MODULUS_DRIVER_VERSION
  value: {{ .Values.nvidiaInstaller.driverVersion | quote }}
- name: MODULUS_GARDENLINUX_VERSION
  value: {{ .Values.gardenlinuxVersion | quote }}
- name: MODULUS_MODULE_TYPE
  value: {{ .Values.nvidiaInstaller.moduleType | quote }}
- name: MODULUS_ARCH
  value: {{ .Values.arch | quote }}
- name: MODULUS_CACHE_DIR
  value: {{ .Values.hostCachePath | quote }}
- name: MODULUS_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: MODULUS_NODE_NAME
  valueFrom:
    fieldRef:
      fieldPath: spec.nodeName
{{- with .Values.driverBucketSecret }}
- name: MODULUS_S3_BUCKET
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: bucket
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: accessKeyId
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: secretAccessKey
- name: MODULUS_STORE
  value: {{ printf "s3://$(MODULUS_S3_BUCKET)/%s" $.Values.s3.prefix | quote }}
{{- end }}
{{- with .Values.s3.endpoint }}
- name: MODULUS_S3_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- with .Values.s3.region }}
- name: MODULUS_S3_REGION
  value: {{ . | quote }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Where the pods go: node selector, node affinity, tolerations; and the pull secrets they need. */}}
{{- define "modulus.scheduling" -}}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nvidiaInstaller.nodeAffinity }}
affinity:
  nodeAffinity:
    {{- toYaml . | nindent 4 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The pod template's metadata: selector labels, podLabels, podAnnotations. */}}
{{- define "modulus.podMetadata" -}}
labels:
  {{- include "modulus.selectorLabels" . | nindent 2 }}
  {{- with .Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with .Values.podAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* ClusterRole and binding names carry the namespace: two releases of one name in two namespaces do not collide. */}}
{{- define "modulus.clusterRoleName" -}}
{{- printf "%s-%s" .Release.Namespace (include "modulus.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The dev container: the stock kmodbuild image running bootstrap.sh, which waits for modulus' payload in /cmd. */}}
{{- define "modulus.devContainer" -}}
name: dev
image: {{ include "modulus.devImage" . }}
imagePullPolicy: {{ .Values.devImage.pullPolicy }}
command: ["/bin/sh", "/modulus/bootstrap.sh"]
env:
  - name: MODULUS_CMD_DIR
    value: /cmd
  - name: MODULUS_OUT_DIR
    value: /out
  - name: MODULUS_BUILDER_IMAGE
    value: {{ include "modulus.devImage" . | quote }}
securityContext:
  privileged: {{ .Values.devImage.privileged }}
  {{- if not .Values.devImage.privileged }}
  seccompProfile:
    type: RuntimeDefault
  {{- end }}
{{- with .Values.resources.dev }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumeMounts:
  - { name: cmd, mountPath: /cmd }
  - { name: cache, mountPath: /out, subPath: build }
  - { name: bootstrap, mountPath: /modulus }
{{- end -}}
