#!/usr/bin/env node
// Validates AsyncAPI documents with the AsyncAPI parser (the one AsyncAPI's own tools use):
//   node check.js FILE...
// Prints every diagnostic, one a line ("FILE: error|warning|information|hint CODE: message at path").
// Exit status: 0 when no document has a diagnostic of severity error, 1 otherwise, 2 on bad usage.
'use strict';

const fs = require('fs');
const path = require('path');
const { Parser, DiagnosticSeverity } = require('@asyncapi/parser');

const SEVERITIES = {
  [DiagnosticSeverity.Error]: 'error',
  [DiagnosticSeverity.Warning]: 'warning',
  [DiagnosticSeverity.Information]: 'information',
  [DiagnosticSeverity.Hint]: 'hint',
};

async function check(parser, file) {
  const { document, diagnostics } = await parser.parse(fs.readFileSync(file, 'utf8'), { source: path.resolve(file) });
  let errors = 0;
  for (const diagnostic of diagnostics) {
    const where = diagnostic.path && diagnostic.path.length ? ` at /${diagnostic.path.join('/')}` : '';
    console.log(`${file}: ${SEVERITIES[diagnostic.severity] || diagnostic.severity} ${diagnostic.code}: ${diagnostic.message}${where}`);
    if (diagnostic.severity === DiagnosticSeverity.Error) {
      errors++;
    }
  }
  if (!document && errors === 0) {
    console.log(`${file}: error: the parser made no document`);
    errors++;
  }
  console.log(`${file}: ${errors === 0 ? 'valid' : `${errors} error(s)`}, ${diagnostics.length} diagnostic(s)`);
  return errors;
}

async function main(files) {
  if (files.length === 0) {
    console.error('usage: node check.js FILE...');
    return 2;
  }
  const parser = new Parser();
  let errors = 0;
  for (const file of files) {
    errors += await check(parser, file);
  }
  return errors === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  status => process.exit(status),
  failure => {
    console.error(`asyncapi-check: ${failure && failure.stack ? failure.stack : failure}`);
    process.exit(1);
  });
