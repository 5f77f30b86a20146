#!/usr/bin/env bash
# Package the VS Code extension of this folder as indexdsl.vsix (needs Node.js and npm):
#   editors/package.sh            then: code --install-extension editors/indexdsl.vsix
set -euo pipefail
cd "$(dirname "$0")"
npm install --omit=dev --no-audit --no-fund
npx --yes @vscode/vsce@3 package --allow-missing-repository --skip-license --no-rewrite-relative-links --out indexdsl.vsix
