// Validates rendered Kubernetes manifests offline with kubernetes-models (the API's OpenAPI schemas).
// usage: node validate.mjs < manifests.yaml   — prints one line per object, exits 1 on the first invalid one.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(import.meta.url);
const YAML = require("yaml");
const documents = YAML.parseAllDocuments(readFileSync(0, "utf8")).map((d) => d.toJSON()).filter(Boolean);
let failed = 0;
for (const object of documents) {
  const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : ["", object.apiVersion];
  const module = require(`kubernetes-models/${group ? group + "/" : ""}${version}/${object.kind}`);
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
