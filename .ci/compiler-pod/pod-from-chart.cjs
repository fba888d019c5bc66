// Turns the chart's rendered compiler instance (`helm template` output) into what `podman kube play` runs: the pod
// template of its DaemonSet (or of one build-matrix Job) as a Pod, with the ConfigMaps it mounts. Containers,
// commands, env, volumes and mounts are the rendered ones; only what podman 4.3 cannot run as Kubernetes does is
// adapted, and every adaptation is said on stderr:
//   - restartPolicy Never: a failed compile is reported once, not restarted in a loop;
//   - a native sidecar (an init container with restartPolicy: Always) becomes a regular container, started first:
//     podman 4.3 runs every init container to completion before the main ones, so dev would wait for a payload
//     that modulus, not yet started, never places;
//   - the downward API's spec.nodeName becomes this machine's host name, as the kubelet would fill it in (podman
//     4.3 refuses the field);
//   - a mount with a subPath of a hostPath volume becomes a mount of its own hostPath volume, <path>/<subPath>,
//     which is the directory the kubelet bind-mounts (podman 4.3 ignores subPath there and mounts the whole volume).
// usage: node pod-from-chart.cjs RENDERED.yaml [WORKLOAD-NAME] > pod.yaml   (NODE_PATH must hold the yaml package)
// Also writes the pod's name, its modulus container's environment and the form to RENDERED.summary.json.
'use strict';
const fs = require('fs');
const os = require('os');
const YAML = require('yaml');

const [rendered, wanted] = process.argv.slice(2);
const say = (message) => process.stderr.write(`compiler-pod: ${message}\n`);
const fail = (message) => { say(message); process.exit(2); };

const docs = YAML.parseAllDocuments(fs.readFileSync(rendered, 'utf8')).map((d) => d.toJS()).filter(Boolean);
const workloads = docs.filter((d) => ['DaemonSet', 'Job', 'CronJob'].includes(d.kind)
  && d.metadata?.labels?.['app.kubernetes.io/component'] === 'compiler');
if (workloads.length === 0) {
  fail(`${rendered} renders no compiler DaemonSet or Job: set allowCompilation: true`);
}
const workload = wanted ? workloads.find((w) => w.metadata.name === wanted) : workloads[0];
if (!workload) {
  fail(`${rendered} has no compiler workload named ${wanted}; it has ${workloads.map((w) => w.metadata.name).join(', ')}`);
}
if (!wanted && workloads.length > 1) {
  say(`${workloads.length} compiler workloads rendered (${workloads.map((w) => w.metadata.name).join(', ')}); running ${workload.metadata.name}`);
}

const template = workload.kind === 'CronJob' ? workload.spec.jobTemplate.spec.template : workload.spec.template;
const spec = JSON.parse(JSON.stringify(template.spec));
if (spec.restartPolicy !== 'Never') {
  say(`restartPolicy ${spec.restartPolicy ?? 'Always'} -> Never (a failed compile is reported once)`);
}
spec.restartPolicy = 'Never';

const sidecars = (spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
if (sidecars.length > 0) {
  say(`native sidecar(s) ${sidecars.map((c) => c.name).join(', ')} -> regular container(s), started first (podman 4.3 runs init containers to completion first)`);
  spec.initContainers = spec.initContainers.filter((c) => !sidecars.includes(c));
  if (spec.initContainers.length === 0) {
    delete spec.initContainers;
  }
  spec.containers = [...sidecars.map((c) => { const copy = { ...c }; delete copy.restartPolicy; return copy; }), ...spec.containers];
}

const host = os.hostname();
for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
  for (const variable of container.env ?? []) {
    if (variable.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName') {
      say(`${container.name}: ${variable.name} from spec.nodeName -> "${host}" (this machine, as the kubelet would fill it in)`);
      variable.value = host;
      delete variable.valueFrom;
    }
  }
}

const volumes = spec.volumes ?? [];
for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.find((v) => v.name === mount.name);
    if (!mount.subPath || !volume?.hostPath) {
      continue;
    }
    const name = `${mount.name}-${mount.subPath.replace(/[^a-z0-9]+/g, '-')}`.slice(0, 63).replace(/-+$/, '');
    if (!volumes.some((v) => v.name === name)) {
      volumes.push({ name, hostPath: { path: `${volume.hostPath.path.replace(/\/+$/, '')}/${mount.subPath}`, type: 'DirectoryOrCreate' } });
    }
    say(`${container.name}: ${mount.mountPath} = volume ${mount.name}, subPath ${mount.subPath} -> hostPath ${volume.hostPath.path}/${mount.subPath} (podman 4.3 ignores subPath on hostPath volumes)`);
    mount.name = name;
    delete mount.subPath;
  }
}
spec.volumes = volumes;

const configMaps = new Set((spec.volumes ?? []).filter((v) => v.configMap).map((v) => v.configMap.name));
const mounted = docs.filter((d) => d.kind === 'ConfigMap' && configMaps.has(d.metadata.name));
const missing = [...configMaps].filter((name) => !mounted.some((d) => d.metadata.name === name));
if (missing.length > 0) {
  fail(`the pod mounts ConfigMap(s) ${missing.join(', ')} that ${rendered} does not render`);
}

const name = workload.metadata.name;
const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: template.metadata?.labels ?? {}, annotations: template.metadata?.annotations ?? {} }, spec };
process.stdout.write([...mounted, pod].map((d) => YAML.stringify(d)).join('---\n'));

const modulus = spec.containers.find((c) => c.name === 'modulus') ?? fail('the pod has no container named modulus');
const env = Object.fromEntries((modulus.env ?? []).filter((e) => 'value' in e).map((e) => [e.name, String(e.value)]));
fs.writeFileSync(rendered.replace(/\.yaml$/, '') + '.summary.json', JSON.stringify({
  pod: name, kind: workload.kind, form: sidecars.length > 0 ? 'sidecar' : 'debug', containers: spec.containers.map((c) => c.name), env,
}, null, 2));
