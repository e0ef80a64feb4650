// The VS Code client: starts `policy lsp` (setting `policy.server.path`) for
// .policy files and wires the two code-lens commands. Everything else (the
// features) comes from the server.
'use strict';
const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration('policy');
  const command = config.get('server.path', 'policy');
  const serverOptions = {
    run: { command, args: ['lsp'], transport: TransportKind.stdio },
    debug: { command, args: ['lsp'], transport: TransportKind.stdio },
  };
  const clientOptions = {
    documentSelector: [{ scheme: 'file', language: 'policy' }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{policy,source.txt,cases.json,example.json}') },
    initializationOptions: { debounceMs: config.get('server.debounceMs', 150) },
  };
  client = new LanguageClient('policy', 'Policy language server', serverOptions, clientOptions);
  // The lenses' commands run on the server (workspace/executeCommand); the
  // palette entries run them for the active editor's policy.
  for (const name of ['policy.runCases', 'policy.decideExample']) {
    context.subscriptions.push(
      vscode.commands.registerCommand(`${name}.active`, async () => {
        const editor = vscode.window.activeTextEditor;
        if (!editor || editor.document.languageId !== 'policy') return;
        const result = await client.sendRequest('workspace/executeCommand', {
          command: name,
          arguments: [editor.document.uri.toString()],
        });
        if (result && result.trace) {
          const out = vscode.window.createOutputChannel('Policy decision');
          out.clear();
          out.append(result.trace);
          out.show(true);
        }
      }),
    );
  }
  client.start();
  context.subscriptions.push({ dispose: () => client && client.stop() });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
