// Validate one glTF/GLB file with the Khronos glTF validator (npm package gltf-validator, installed by
// `python3 build.py test` into .venv/node) and print its JSON report on stdout.
//   node tests/shots/gltf_validate.js FILE [VALIDATOR_MODULE_DIR]
// Exit codes: 0 report printed (read report.issues.numErrors), 2 bad arguments or the validator is missing,
// 3 the validator could not read the file.
"use strict";
const fs = require("fs");
const path = require("path");

const file = process.argv[2];
const moduleDir = process.argv[3] ||
    path.resolve(__dirname, "..", "..", ".venv", "node", "node_modules", "gltf-validator");
if (!file) {
    console.error("usage: node gltf_validate.js FILE [VALIDATOR_MODULE_DIR]");
    process.exit(2);
}
let validator;
try {
    validator = require(moduleDir);
} catch (err) {
    console.error(`gltf-validator not found in ${moduleDir}: run python3 build.py test`);
    process.exit(2);
}
const fullPath = path.resolve(file);
validator.validateBytes(new Uint8Array(fs.readFileSync(fullPath)), {
    uri: path.basename(fullPath),
    maxIssues: 0,
    externalResourceFunction: (uri) => new Promise((resolve, reject) => {
        fs.readFile(path.resolve(path.dirname(fullPath), decodeURIComponent(uri)),
                    (err, data) => (err ? reject(err.toString()) : resolve(data)));
    }),
}).then((report) => {
    process.stdout.write(JSON.stringify(report) + "\n");
}, (error) => {
    console.error(`gltf-validator could not read ${fullPath}: ${error}`);
    process.exit(3);
});
