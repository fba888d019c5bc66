// Validates rendered Kubernetes manifests offline with kubernetes-models (the API's OpenAPI schemas) and, for the
// ServiceMonitor CRD, @kubernetes-models/prometheus-operator (the operator's CRD schemas).
// usage: node validate.mjs < manifests.yaml   — prints one line per object, exits 1 on the first invalid one.
import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
const YAML = require("yaml");
const documents = YAML.parseAllDocuments(readFileSync(0, "utf8")).map((d) => d.toJSON()).filter(Boolean);
// The prometheus-operator models are ES modules only, which NODE_PATH does not reach: look them up there by hand.
async function importFromNodePath(path) {
  const dir = (process.env.NODE_PATH ?? "").split(":").find((d) => d && existsSync(join(d, path)));
  if (!dir) throw new Error(`${path} is not below NODE_PATH (${process.env.NODE_PATH}); run .ci/install-prereqs.sh`);
  return import(pathToFileURL(join(dir, path)).href);
}

let failed = 0;
for (const object of documents) {
  const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : ["", object.apiVersion];
  const module = group === "monitoring.coreos.com"
    ? await importFromNodePath(`@kubernetes-models/prometheus-operator/${group}/${version}/index.js`)
    : require(`kubernetes-models/${group ? group + "/" : ""}${version}/${object.kind}`);
  const Model = module[object.kind] ?? module.default;
  try {
    new Model(object).validate();
    console.log(`valid ${object.kind}/${object.metadata.name}`);
  } catch (error) {
    failed++;
    console.log(`INVALID ${object.kind}/${object.metadata.name}: ${error.message}`);
  }
}
process.exit(failed === 0 && documents.length > 0 ? 0 : 1);
