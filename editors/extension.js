// The VS Code side of indexdsl's language server: start `indexdsl lsp` (or the command
// in the `indexdsl.server.command` setting) for every index file (.idx) and let the
// language client speak the protocol with it. Everything else (diagnostics, completion,
// hover, definitions, rename, formatting, quick fixes) is the server's.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace
    .getConfiguration("indexdsl")
    .get("server.command", ["indexdsl", "lsp"]);
  const server = { command, args };
  client = new LanguageClient(
    "indexdsl",
    "indexdsl",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "indexdsl" }] },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
