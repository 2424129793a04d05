// Prints the fenced code block that follows `<!-- test: NAME -->` in a Markdown
// file (indented blocks inside list items too, with the indentation removed), so
// scripts can run the README's commands literally and they cannot drift.
//   node scripts/readme-blocks.js README.md own-project/setup
'use strict';
const fs = require('fs');

function block(markdown, name) {
  const marker = `<!-- test: ${name} -->`;
  const lines = markdown.split('\n');
  const at = lines.findIndex((l) => l.trim() === marker);
  if (at < 0) throw new Error(`no '${marker}' in the README`);
  if (lines.slice(at + 1).some((l) => l.trim() === marker)) throw new Error(`'${marker}' appears twice in the README`);
  const open = /^(\s*)```/.exec(lines[at + 1] ?? '');
  if (!open) throw new Error(`'${marker}' is not directly followed by a fenced code block`);
  const indent = open[1];
  const body = [];
  for (let i = at + 2; i < lines.length; i++) {
    if (lines[i] === `${indent}\`\`\``) return body.join('\n') + '\n';
    if (lines[i].trim() !== '' && !lines[i].startsWith(indent)) throw new Error(`'${marker}': line ${i + 1} is less indented than its fence`);
    body.push(lines[i].slice(indent.length));
  }
  throw new Error(`'${marker}': the code block is not closed`);
}

module.exports = { block };

if (require.main === module) {
  const [file, name] = process.argv.slice(2);
  try {
    process.stdout.write(block(fs.readFileSync(file, 'utf8'), name));
  } catch (err) {
    console.error(`readme-blocks: ${err.message}`);
    process.exit(1);
  }
}
