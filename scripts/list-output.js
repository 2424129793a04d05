// Prints where `cdk8s synth` wrote the manifests, with object counts and sizes.
const fs = require('fs');
const path = require('path');

const dir = path.resolve(process.argv[2] || 'dist');
if (!fs.existsSync(dir)) {
  console.error(`no output directory at ${dir}`);
  process.exit(1);
}
const files = [];
(function walk(d) {
  for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p); else files.push(p);
  }
})(dir);
console.log(`Synthesized ${files.length} file(s) into ${dir}:`);
for (const f of files) {
  const bytes = fs.statSync(f).size;
  const text = fs.readFileSync(f, 'utf8');
  const objects = f.endsWith('.yaml') ? text.split(/^---$/m).filter((d) => d.trim()).length : 0;
  const what = objects ? `${objects} objects, ` : '';
  console.log(`  ${path.relative(process.cwd(), f)} (${what}${bytes} bytes)`);
}
