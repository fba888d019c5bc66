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
{{- if .Values.allowCompilation }}
{{- /* Installers take the Garden Linux version, kernel and arch from their node (docs/install.md "What the node decides"). */}}
- name: MODULUS_GARDENLINUX_VERSION
  value: {{ .Values.gardenlinuxVersion | quote }}
- name: MODULUS_ARCH
  value: {{ .Values.arch | quote }}
{{- end }}
- name: MODULUS_MODULE_TYPE
  value: {{ .Values.nvidiaInstaller.moduleType | quote }}
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
  {{- if .Values.moduleSigning.secret }}
  - { name: module-signing, mountPath: /etc/modulus/module-signing, readOnly: true }
  {{- end }}
  {{- with .Values.devImage.extraVolumeMounts }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{/* modulus compile's environment for Secure Boot signing: the key and certificate as the dev container sees them. */}}
{{- define "modulus.moduleSigningEnv" -}}
{{- if .Values.moduleSigning.secret }}
- name: MODULUS_MODULE_SIGNING_KEY
  value: /etc/modulus/module-signing/signing_key.pem
- name: MODULUS_MODULE_SIGNING_CERT
  value: /etc/modulus/module-signing/signing_cert.pem
{{- end }}
{{- end -}}

{{/* modulus compile's kernel flavours: MODULUS_KERNEL_FLAVOURS=default,cloud; none: every kernel of the image. */}}
{{- define "modulus.kernelFlavoursEnv" -}}
{{- with .Values.kernelFlavours }}
- name: MODULUS_KERNEL_FLAVOURS
  value: {{ join "," . | quote }}
{{- end }}
{{- end -}}

{{/* Whether buildMatrix.excludedCombinations excludes this (Garden Linux, driver) pair: "true" or "". */}}
{{- define "modulus.matrixExcluded" -}}
{{- $gl := index . 0 -}}
{{- $driver := index . 1 -}}
{{- range (index . 2) -}}
{{- if and (semverCompare (printf ">=%s" .gardenlinuxVersionMin) $gl) (or (eq $driver .driverVersionPrefix) (hasPrefix (printf "%s." .driverVersionPrefix) $driver)) -}}
true
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The Secret volume of the module signing key, for pods with a dev container. */}}
{{- define "modulus.moduleSigningVolume" -}}
{{- with .Values.moduleSigning.secret }}
- { name: module-signing, secret: { secretName: {{ . }}, defaultMode: 0400 } }
{{- end }}
{{- end -}}


{{/* A build-matrix Job: modulus compile for one (Garden Linux, driver) pair, dev as a native sidecar of that version's kmodbuild image. */}}
{{- define "modulus.matrixJobSpec" -}}
backoffLimit: 2
ttlSecondsAfterFinished: 86400
template:
  metadata:
    {{- include "modulus.podMetadata" . | nindent 4 }}
  spec:
    restartPolicy: OnFailure
    serviceAccountName: {{ include "modulus.fullname" . }}
    automountServiceAccountToken: false
    {{- include "modulus.scheduling" . | nindent 4 }}
    initContainers:
      - {{- include "modulus.devContainer" . | nindent 8 }}
        restartPolicy: Always
    containers:
      - name: modulus
        image: {{ include "modulus.image" . }}
        imagePullPolicy: {{ .Values.image.pullPolicy }}
        command: ["modulus", "compile"]
        env:
          {{- include "modulus.env" . | nindent 10 }}
          - name: MODULUS_CMD_DIR
            value: /cmd
          - name: MODULUS_FORCE
            value: {{ .Values.forceCompile | quote }}
          - name: MODULUS_DRIVER_KIND
            value: nvidia-runfile
          {{- if .Values.signing.keySecret }}
          - name: MODULUS_SIGNING_KEY
            value: /etc/modulus/signing/signing-key.pem
          {{- end }}
          {{- include "modulus.moduleSigningEnv" . | nindent 10 }}
          {{- include "modulus.kernelFlavoursEnv" . | nindent 10 }}
        securityContext:
          privileged: false
          allowPrivilegeEscalation: false
          seccompProfile:
            type: RuntimeDefault
        {{- with .Values.resources.modulus }}
        resources:
          {{- toYaml . | nindent 10 }}
        {{- end }}
        volumeMounts:
          - { name: cmd, mountPath: /cmd }
          - { name: cache, mountPath: {{ .Values.hostCachePath }} }
          {{- if .Values.signing.keySecret }}
          - { name: signing-key, mountPath: /etc/modulus/signing, readOnly: true }
          {{- end }}
          {{- with .Values.extraVolumeMounts }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
    volumes:
      - { name: cmd, emptyDir: {} }
      - { name: cache, hostPath: { path: {{ .Values.hostCachePath }}, type: DirectoryOrCreate } }
      - { name: bootstrap, configMap: { name: {{ include "modulus.fullname" . }}-bootstrap, defaultMode: 0555 } }
      {{- with .Values.signing.keySecret }}
      - { name: signing-key, secret: { secretName: {{ . }}, defaultMode: 0400, items: [ { key: signing-key.pem, path: signing-key.pem } ] } }
      {{- end }}
      {{- include "modulus.moduleSigningVolume" . | nindent 6 }}
      {{- with .Values.extraVolumes }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
{{- end -}}
