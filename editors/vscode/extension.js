// Starts `scopelint lsp` for the files scopelint reads and stops it with the editor.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("scopelint").get("path") || "scopelint";
  const serverOptions = { command, args: ["lsp"] };
  const patterns = [
    "**/*.tf",
    "**/*.tofu",
    "**/*.tf.json",
    "**/*.tofu.json",
    "**/*.tfvars",
    "**/*.tfvars.json",
    "**/*.sh",
    "**/*.bash",
    "**/.github/workflows/*.{yml,yaml}",
    "**/cloudbuild*.{yml,yaml,json}",
  ];
  const clientOptions = {
    documentSelector: patterns.map((pattern) => ({ scheme: "file", pattern })),
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/.scopelint.yaml"),
    },
  };
  client = new LanguageClient("scopelint", "scopelint", serverOptions, clientOptions);
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
