#!/usr/bin/env bash
# Captures the two Neovim screens shown in docs/editors.md: Neovim (Debian's
# 0.7) in tmux with editors/nvim/policy.lua as its config and `policy` from
# target/debug on PATH; a misspelt name with its diagnostic, then the hover
# of a rule. Prints both screens. Needs nvim and tmux; edits a temporary copy.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q -p policy-cli
tmp=$(mktemp -d)
trap 'tmux kill-session -t policy-capture 2>/dev/null || true; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/cfg/nvim"
cp editors/nvim/policy.lua "$tmp/cfg/nvim/init.lua"
cp -r policies "$tmp/"
file="$tmp/policies/jinhua/digital_engineer_2024.policy"
tmux new-session -d -s policy-capture -x 120 -y 30 \
  "env PATH=$PWD/target/debug:\$PATH XDG_CONFIG_HOME=$tmp/cfg XDG_STATE_HOME=$tmp/st XDG_DATA_HOME=$tmp/dt XDG_CACHE_HOME=$tmp/ca nvim -n $file"
sleep 3
tmux send-keys -t policy-capture ':78s/insured_locally/insured_localy/' Enter
sleep 2
tmux send-keys -t policy-capture ':normal! 70Gzt78G' Enter
sleep 1
tmux capture-pane -p -t policy-capture
echo '----'
tmux send-keys -t policy-capture ':normal! 100Gzt' Enter ':call cursor(109, 11)' Enter
sleep 1
tmux send-keys -t policy-capture K
sleep 2
tmux capture-pane -p -t policy-capture
